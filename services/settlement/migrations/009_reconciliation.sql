-- Reconciliation as a finance office does it: one statement per account and day, whatever the
-- bank's format; lines matched to payouts and returns by rule (1:1 and 1:N), suggested or
-- confirmed; a suspense queue worked by operators; the day's 余额调节表 versioned.

-- Payouts carry an end-to-end id to the bank (35 characters at most, as ISO 20022 allows).
alter table payouts add column end_to_end_id text;
update payouts set end_to_end_id = 'USP' || upper(substr(encode(sha256(convert_to(payout_id, 'UTF8')), 'hex'), 1, 24));
alter table payouts alter column end_to_end_id set not null;
create unique index payouts_by_end_to_end_id on payouts (end_to_end_id);

-- The bank simulator's book: payouts out, returns out, receipts in, each booked on a day.
alter table bank_simulator_payouts
    add column direction text not null default 'debit' check (direction in ('debit', 'credit')),
    add column end_to_end_id text not null default '',
    add column batch_id text,
    add column counterparty_name text not null default '',
    add column remittance text not null default '',
    add column booked_on date;
update bank_simulator_payouts set booked_on = (created_at at time zone 'UTC')::date;
alter table bank_simulator_payouts alter column booked_on set not null;

-- A statement is one account's day. Statements imported before this kept no account, day or
-- balances (account is null): they stay readable and out of the day reports.
alter table bank_statements
    add column account text,
    add column statement_date date,
    add column format text,
    add column opening bigint,
    add column closing bigint,
    add column content_sha text;
update bank_statements set content_sha = statement_id;
create unique index one_statement_per_account_day on bank_statements (account, statement_date)
    where account is not null;

-- A different statement for an account and day already imported: kept for an operator.
create table statement_conflicts (
    conflict_id     bigserial primary key,
    account         text        not null,
    statement_date  date        not null,
    content_sha     text        not null,
    existing_id     text        not null references bank_statements,
    received_by     text        not null,
    received_at     timestamptz not null default now(),
    unique (account, statement_date, content_sha)
);

alter table bank_statement_lines
    add column line_id text,
    add column value_date date,
    add column end_to_end_id text not null default '',
    add column remittance text not null default '',
    add column counterparty_account text not null default '',
    add column counterparty_name text not null default '',
    add column batch_count integer,
    add column batch_total bigint,
    add column batch_ids text[] not null default '{}',
    add column state text;
update bank_statement_lines set line_id = 'L' || substr(statement_id, 1, 10) || '-' || line_no,
    state = case matched when 'payout' then 'matched' else 'open' end;
alter table bank_statement_lines alter column line_id set not null, alter column state set not null,
    add constraint line_states check (state in ('matched', 'open', 'returning', 'returned', 'written_off', 'applied')),
    drop constraint bank_statement_lines_matched_check;
alter table bank_statement_lines alter column matched drop not null;
create unique index bank_statement_lines_by_id on bank_statement_lines (line_id);
create index open_statement_lines on bank_statement_lines (line_id) where state = 'open';

-- How a line was matched: to one or several payouts or returns (a batch booking), by which rule.
-- A suggestion waits for an operator; an item is confirmed to one line at most.
create table line_matches (
    line_id      text        not null references bank_statement_lines (line_id),
    item_id      text        not null,
    item_kind    text        not null check (item_kind in ('payout', 'return')),
    status       text        not null check (status in ('confirmed', 'suggested', 'rejected')),
    rule         text        not null,
    explanation  text        not null,
    matched_by   text        not null,
    matched_at   timestamptz not null,
    primary key (line_id, item_id)
);
create unique index an_item_is_confirmed_once on line_matches (item_id) where status = 'confirmed';
insert into line_matches (line_id, item_id, item_kind, status, rule, explanation, matched_by, matched_at)
select l.line_id, l.payout_id, 'payout', 'confirmed', 'reference', 'the reference is the payout id', s.imported_by,
       s.imported_at
from bank_statement_lines l join bank_statements s using (statement_id) where l.payout_id is not null;

-- Money returned to whoever sent a 长款: a payment out through the bank like a payout.
create table bank_returns (
    return_id      text primary key,
    line_id        text        not null unique references bank_statement_lines (line_id),
    amount         bigint      not null check (amount > 0),
    payer_account  text        not null,
    end_to_end_id  text        not null unique,
    status         text        not null check (status in ('pending', 'settled', 'failed')),
    bank_reference text,
    failure        text,
    recorded_on    date        not null,
    created_at     timestamptz not null
);

-- How each suspense item was resolved, and a write-off's request and second approval.
create table suspense_resolutions (
    line_id       text primary key references bank_statement_lines (line_id),
    action        text        not null check (action in ('match', 'return', 'write_off')),
    state         text        not null check (state in ('requested', 'done', 'failed')),
    target        text,
    reason        text        not null,
    requested_by  text        not null,
    requested_at  timestamptz not null,
    approved_by   text,
    resolved_on   date,
    check (approved_by is null or approved_by <> requested_by)
);

-- What the ledger sends through the bank and a statement should show.
create view bank_items as
    select payout_id as item_id, 'payout' as kind, amount, end_to_end_id, bank_reference,
           run_id as batch_id, (resolved_at at time zone 'UTC')::date as recorded_on
    from payouts where status = 'settled'
    union all
    select return_id, 'return', amount, end_to_end_id, bank_reference, null,
           recorded_on
    from bank_returns where status = 'settled';

-- The day's 余额调节表, a new version whenever what it says changes.
create table reconciliation_reports (
    account     text        not null,
    on_date     date        not null,
    version     integer     not null,
    body        jsonb       not null,
    cause       text        not null,
    created_at  timestamptz not null,
    primary key (account, on_date, version)
);

-- Where a 长款 two operators wrote off goes (a gain, or a loss for money out).
alter table accounts drop constraint accounts_kind_check, add constraint accounts_kind_check check (kind in (
    'funding', 'grant', 'supplier_payable', 'supplier_receivable', 'fee_income', 'guarantee_fund',
    'guarantee_advanced', 'capital', 'bank', 'suspense', 'reconciliation_differences'));
