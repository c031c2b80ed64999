-- The PDF or OFD an invoice was issued as, attached by its supplier (one per invoice; replacing
-- it keeps nothing of the old one but its audit entry).
create table invoice_documents (
    invoice_id    text primary key references invoices,
    content_type  text        not null check (content_type in ('application/pdf', 'application/ofd')),
    sha256        text        not null,
    size          integer     not null check (size > 0),
    content       bytea       not null,
    uploaded_at   timestamptz not null,
    uploaded_by   text        not null
);
