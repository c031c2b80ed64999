-- Each university's chart-of-accounts mapping (books/domain/mapping.py), effective from a day
-- until the next one; kept whole, never changed in place (a correction is a new effective day
-- or the same day set again, audited).
create table account_mappings (
    tenant_id       text        not null,
    effective_from  date        not null,
    accounts        jsonb       not null,  -- role → account code
    expense         jsonb       not null,  -- category → {account, classification}
    set_by          text        not null,
    set_at          timestamptz not null,
    primary key (tenant_id, effective_from)
);
