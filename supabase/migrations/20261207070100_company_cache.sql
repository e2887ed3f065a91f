-- Platform-wide companies cache (private schema: not exposed, no tenant): the
-- establishments the companies provider (recherche-entreprises) returned, and
-- which target (NAF codes + area) returned which establishments. Two tenants
-- asking for the same target reuse the cached answer, without a second call;
-- what each tenant takes from it lives in its own tables (base_generations).
-- Also here: the platform's opposition list, the plan limits of the
-- generation feature, and the watermark records planted in generated bases.

create table private.company_establishments (
  siret text primary key,
  siren text not null,
  name text not null,
  naf text not null,
  legal_form text,
  created_on date,
  headcount_band text,
  head_office boolean not null default false,
  address text,
  postal_code text,
  commune_code text,
  city text,
  departement text,
  active boolean not null default true,
  -- SIRENE statut_diffusion: 'O' diffusible, 'P' partially (personal data withheld)
  diffusion text not null default 'O',
  source text not null default 'recherche-entreprises',
  fetched_at timestamptz not null default now(),
  constraint company_establishments_siret_valid check (private.is_valid_siret(siret)),
  constraint company_establishments_diffusion check (diffusion in ('O', 'P')),
  constraint company_establishments_naf_format check (naf ~ '^[0-9]{2}\.[0-9]{2}[A-Z]$')
);
create index company_establishments_siren_idx on private.company_establishments (siren);

-- One row per distinct target asked of the provider.
create table private.company_queries (
  query_key text primary key,
  params jsonb not null,
  total_reported integer not null default 0,
  fetched integer not null default 0,
  provider_calls integer not null default 0,
  fetched_at timestamptz not null default now(),
  constraint company_queries_key_format check (query_key ~ '^[0-9a-f]{32}$')
);

create table private.company_query_results (
  query_key text not null references private.company_queries (query_key) on delete cascade,
  siret text not null references private.company_establishments (siret) on delete cascade,
  primary key (query_key, siret)
);
create index company_query_results_siret_idx on private.company_query_results (siret);

-- Companies that asked not to be prospected (the platform's opposition list).
create table private.company_opposition (
  siren text primary key,
  reason text,
  added_at timestamptz not null default now(),
  constraint company_opposition_siren_valid check (private.is_valid_siren(siren))
);

-- What each plan allows for generated bases (docs/bases.md).
create table private.generation_plan_limits (
  plan public.tenant_plan primary key,
  monthly_credits integer not null,
  generations_per_hour integer not null,
  monthly_export_rows integer not null,
  monthly_enrichments integer not null
);
insert into private.generation_plan_limits values
  ('trial', 100, 3, 0, 100),
  ('starter', 1000, 10, 500, 1000),
  ('pro', 5000, 30, 5000, 5000),
  ('enterprise', 25000, 100, 25000, 25000);

-- Seed records planted in each confirmed generated base: a fictional company
-- whose e-mail address exists nowhere else. If it shows up outside the tenant
-- (a message received, a listing somewhere), the token names the base that leaked.
create table private.base_watermarks (
  token text primary key,
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  prospect_base_id uuid,
  generation_id uuid,
  contact_id uuid,
  email text not null unique,
  created_at timestamptz not null default now()
);
create index base_watermarks_tenant_idx on private.base_watermarks (tenant_id);

alter table private.company_establishments enable row level security;
alter table private.company_queries enable row level security;
alter table private.company_query_results enable row level security;
alter table private.company_opposition enable row level security;
alter table private.generation_plan_limits enable row level security;
alter table private.base_watermarks enable row level security;
revoke all on private.company_establishments, private.company_queries, private.company_query_results,
  private.company_opposition, private.generation_plan_limits, private.base_watermarks from public, anon, authenticated;
-- The workers (service role) read and fill the cache; platform staff manage the opposition list and trace watermarks.
grant select, insert, update, delete on private.company_establishments, private.company_queries, private.company_query_results,
  private.company_opposition to service_role;
grant select on private.generation_plan_limits, private.base_watermarks to service_role;

-- The canonical key of a target: md5 of the sorted NAF codes and area lists.
create or replace function private.company_query_key(p_naf text[], p_area jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select md5(jsonb_build_object(
    'naf', coalesce((select jsonb_agg(x order by x) from (select distinct unnest(p_naf) x) s), '[]'),
    'communes', coalesce((select jsonb_agg(x order by x) from (select distinct jsonb_array_elements_text(p_area -> 'communes') x) s), '[]'),
    'postal_codes', coalesce((select jsonb_agg(x order by x) from (select distinct jsonb_array_elements_text(p_area -> 'postal_codes') x) s), '[]'),
    'departements', coalesce((select jsonb_agg(x order by x) from (select distinct jsonb_array_elements_text(p_area -> 'departements') x) s), '[]')
  )::text)
$$;

-- Stores one page of provider results for a target (the worker, service role).
-- p_rows: [{siret, siren, name, naf, legal_form, created_on, headcount_band,
-- head_office, address, postal_code, commune_code, city, departement, active, diffusion}]
create or replace function private.store_company_page(p_query_key text, p_params jsonb, p_total integer, p_rows jsonb)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  n integer;
begin
  insert into private.company_queries as q (query_key, params, total_reported, provider_calls, fetched_at)
  values (p_query_key, p_params, coalesce(p_total, 0), 1, now())
  on conflict (query_key) do update set total_reported = excluded.total_reported,
    provider_calls = q.provider_calls + 1, fetched_at = now();
  insert into private.company_establishments as e (siret, siren, name, naf, legal_form, created_on, headcount_band, head_office,
    address, postal_code, commune_code, city, departement, active, diffusion, fetched_at)
  select r.siret, r.siren, r.name, r.naf, r.legal_form, r.created_on, r.headcount_band, coalesce(r.head_office, false),
         r.address, r.postal_code, r.commune_code, r.city, r.departement, coalesce(r.active, true), coalesce(r.diffusion, 'O'), now()
    from jsonb_to_recordset(p_rows) as r(siret text, siren text, name text, naf text, legal_form text, created_on date, headcount_band text,
         head_office boolean, address text, postal_code text, commune_code text, city text, departement text, active boolean, diffusion text)
   where private.is_valid_siret(r.siret) and r.naf ~ '^[0-9]{2}\.[0-9]{2}[A-Z]$'
  on conflict (siret) do update set name = excluded.name, naf = excluded.naf, legal_form = excluded.legal_form,
    created_on = excluded.created_on, headcount_band = excluded.headcount_band, head_office = excluded.head_office,
    address = excluded.address, postal_code = excluded.postal_code, commune_code = excluded.commune_code, city = excluded.city,
    departement = excluded.departement, active = excluded.active, diffusion = excluded.diffusion, fetched_at = now();
  insert into private.company_query_results (query_key, siret)
  select p_query_key, r.siret from jsonb_to_recordset(p_rows) as r(siret text)
   where exists (select 1 from private.company_establishments e where e.siret = r.siret)
  on conflict do nothing;
  update private.company_queries q set fetched = (select count(*) from private.company_query_results x where x.query_key = q.query_key)
   where q.query_key = p_query_key;
  get diagnostics n = row_count;
  return (select fetched from private.company_queries where query_key = p_query_key);
end;
$$;

revoke all on function private.company_query_key(text[], jsonb), private.store_company_page(text, jsonb, integer, jsonb) from public, anon, authenticated;
grant execute on function private.company_query_key(text[], jsonb), private.store_company_page(text, jsonb, integer, jsonb) to service_role;
