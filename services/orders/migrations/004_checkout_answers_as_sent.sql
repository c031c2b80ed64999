-- A checkout's answer is kept as the bytes it was first sent with (jsonb would re-format it), so
-- a replay of its Idempotency-Key answers with exactly those bytes.
alter table checkouts alter column response type text using response::text;
