-- One database per service, as deploy/stack.sh creates locally.
create database orders owner unisettle;
create database settlement owner unisettle;
create database suppliers owner unisettle;
create database refunds owner unisettle;
create database invoices owner unisettle;
create database console owner unisettle;
