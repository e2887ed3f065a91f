-- Segment filters compare text case-insensitively (lower(col) = lower(value)):
-- the indexes must be on lower(city) / lower(postal_code) to be usable. They
-- replace the plain ones of 20261207070300_segments.sql (same count of
-- indexes on contacts, so imports pay nothing more).

drop index if exists public.contacts_tenant_city_idx;
drop index if exists public.contacts_tenant_postal_code_idx;
create index if not exists contacts_tenant_lower_city_idx on public.contacts (tenant_id, lower(city)) where deleted_at is null;
create index if not exists contacts_tenant_lower_postal_code_idx on public.contacts (tenant_id, lower(postal_code)) where deleted_at is null;
