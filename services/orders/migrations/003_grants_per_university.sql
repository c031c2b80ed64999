-- Grant ids are each university's own (settlement keys grants by university and id): so does
-- the projection of them.
alter table grants drop constraint grants_pkey;
alter table grants add primary key (tenant_id, grant_id);
