-- The terms a quote was given: the supplier's profile score then, and the limit of its band.
alter table early_payment_quotes add column score double precision, add column limit_minor bigint;
