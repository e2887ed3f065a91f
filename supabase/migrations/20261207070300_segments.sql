-- Saved segments: dynamic filters over a tenant's contacts (any contact field,
-- custom fields, tags, score, label, engagement, lifecycle stage, base
-- membership), evaluated live; plus bulk actions on a set of contacts.
--
-- Filters: a JSON array of conditions, all of which must hold:
--   [{"field": "city", "op": "eq", "value": "Paris"},
--    {"field": "score", "op": "gte", "value": 40},
--    {"field": "tags", "op": "contains_any", "value": ["vendeur"]}]
-- Fields come from a fixed list (private.segment_field_sql); values are never
-- spliced into SQL: the generated condition reads them from the filters
-- parameter itself ($1 -> i -> 'value'). The functions are security invoker,
-- so the contacts' policies decide what a caller sees, as for any select.

create table public.segments (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  name text not null,
  description text,
  filters jsonb not null default '[]',
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint segments_name_length check (char_length(btrim(name)) between 1 and 200),
  constraint segments_filters_array check (jsonb_typeof(filters) = 'array' and jsonb_array_length(filters) <= 20)
);
create unique index segments_tenant_id_id_key on public.segments (tenant_id, id);
create unique index segments_tenant_name_key on public.segments (tenant_id, lower(name));
create index segments_created_by_idx on public.segments (created_by) where created_by is not null;

create trigger segments_updated_at before update on public.segments
  for each row execute function private.set_updated_at();
create trigger segments_protect_fields before update on public.segments
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');

-- Filtering by city, postal code, company and stage within a tenant.
create index if not exists contacts_tenant_city_idx on public.contacts (tenant_id, city) where deleted_at is null;
create index if not exists contacts_tenant_postal_code_idx on public.contacts (tenant_id, postal_code) where deleted_at is null;
create index if not exists contacts_tenant_stage_idx on public.contacts (tenant_id, lifecycle_stage, last_activity_at desc) where deleted_at is null;

-- The SQL condition of one filter (index i of the filters array, read as $1).
create or replace function private.segment_condition(p_filter jsonb, p_index integer)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  field text := p_filter ->> 'field';
  op text := p_filter ->> 'op';
  v text := format('($1 -> %s ->> ''value'')', p_index);
  va text := format('array(select jsonb_array_elements_text($1 -> %s -> ''value''))', p_index);
  col text;
  typ text;
begin
  if jsonb_typeof(p_filter) <> 'object' or field is null or op is null then
    raise exception using errcode = '22023', message = 'invalid_segment_filter', detail = jsonb_build_object('index', p_index, 'reason', 'shape')::text;
  end if;
  -- fields: column expression and type
  select x.col, x.typ into col, typ from (values
    ('kind', 'c.kind::text', 'text'), ('first_name', 'c.first_name', 'text'), ('last_name', 'c.last_name', 'text'),
    ('email', 'c.email', 'text'), ('phone', 'c.phone', 'text'), ('company_name', 'c.company_name', 'text'),
    ('job_title', 'c.job_title', 'text'), ('siret', 'c.siret', 'text'), ('naf_code', 'c.naf_code', 'text'),
    ('postal_code', 'c.postal_code', 'text'), ('city', 'c.city', 'text'), ('source', 'c.source', 'text'),
    ('owner_id', 'c.owner_id::text', 'text'), ('stage', 'c.lifecycle_stage::text', 'text'),
    ('email_consent', 'c.email_consent::text', 'text'), ('sms_consent', 'c.sms_consent::text', 'text'),
    ('do_not_contact', 'c.do_not_contact', 'bool'), ('has_email', '(c.email is not null)', 'bool'),
    ('has_phone', '(c.phone is not null)', 'bool'),
    ('created_at', 'c.created_at', 'time'), ('last_activity_at', 'c.last_activity_at', 'time'),
    ('last_contacted_at', 'c.last_contacted_at', 'time'),
    ('score', 's.score', 'num'), ('fit', 's.fit', 'num'), ('engagement', 's.engagement', 'num'), ('timing', 's.timing', 'num'),
    ('label', 's.label::text', 'text'), ('tags', 'c.tags', 'tags'), ('base', 'base', 'base')
  ) x(name, col, typ) where x.name = field;
  if col is null and field ~ '^custom\.[A-Za-z0-9_]{1,60}$' then
    col := format('(c.custom_fields ->> %L)', substr(field, 8));
    typ := 'text';
  end if;
  if col is null then
    raise exception using errcode = '22023', message = 'invalid_segment_filter', detail = jsonb_build_object('index', p_index, 'field', field, 'reason', 'field')::text;
  end if;
  return case
    when typ = 'text' and op = 'eq' then format('lower(%s) = lower(%s)', col, v)
    when typ = 'text' and op = 'neq' then format('lower(%s) is distinct from lower(%s)', col, v)
    when typ = 'text' and op = 'in' then format('lower(%s) = any (array(select lower(x) from unnest(%s) x))', col, va)
    when typ = 'text' and op = 'contains' then format('%s ilike ''%%'' || replace(replace(replace(%s, ''\'', ''\\''), ''%%'', ''\%%''), ''_'', ''\_'') || ''%%''', col, v)
    when typ = 'text' and op = 'starts_with' then format('%s ilike replace(replace(replace(%s, ''\'', ''\\''), ''%%'', ''\%%''), ''_'', ''\_'') || ''%%''', col, v)
    when typ = 'text' and op = 'is_empty' then format('nullif(btrim(%s), '''') is null', col)
    when typ = 'text' and op = 'not_empty' then format('nullif(btrim(%s), '''') is not null', col)
    when typ = 'bool' and op = 'is_true' then format('%s is true', col)
    when typ = 'bool' and op = 'is_false' then format('%s is not true', col)
    when typ = 'num' and op in ('gte', 'lte', 'eq') then format('coalesce(%s, 0) %s (%s)::numeric', col,
      case op when 'gte' then '>=' when 'lte' then '<=' else '=' end, v)
    when typ = 'time' and op = 'within_days' then format('%s > now() - make_interval(days => (%s)::int)', col, v)
    when typ = 'time' and op = 'older_than_days' then format('%s <= now() - make_interval(days => (%s)::int)', col, v)
    when typ = 'time' and op = 'after' then format('%s >= (%s)::date', col, v)
    when typ = 'time' and op = 'before' then format('%s < (%s)::date', col, v)
    when typ = 'tags' and op = 'contains_any' then format('c.tags && %s', va)
    when typ = 'tags' and op = 'contains_all' then format('c.tags @> %s', va)
    when typ = 'tags' and op = 'not_contains' then format('not (c.tags && %s)', va)
    when typ = 'base' and op = 'in' then format('exists (select 1 from public.prospect_base_members m where m.tenant_id = c.tenant_id and m.contact_id = c.id and m.prospect_base_id = any (%s::uuid[]))', va)
    when typ = 'base' and op = 'not_in' then format('not exists (select 1 from public.prospect_base_members m where m.tenant_id = c.tenant_id and m.contact_id = c.id and m.prospect_base_id = any (%s::uuid[]))', va)
  end;
end;
$$;

-- The WHERE clause of a filters array (validated), for contacts c left join contact_scores s.
create or replace function private.segment_where(p_filters jsonb)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
  parts text[] := '{}';
  cond text;
  i integer;
begin
  if p_filters is null or jsonb_typeof(p_filters) <> 'array' then
    raise exception using errcode = '22023', message = 'invalid_segment_filter', detail = jsonb_build_object('reason', 'not_array')::text;
  end if;
  if jsonb_array_length(p_filters) > 20 then
    raise exception using errcode = '22023', message = 'invalid_segment_filter', detail = jsonb_build_object('reason', 'too_many')::text;
  end if;
  for i in 0 .. jsonb_array_length(p_filters) - 1 loop
    cond := private.segment_condition(p_filters -> i, i);
    if cond is null then
      raise exception using errcode = '22023', message = 'invalid_segment_filter',
        detail = jsonb_build_object('index', i, 'field', p_filters -> i ->> 'field', 'op', p_filters -> i ->> 'op', 'reason', 'operator')::text;
    end if;
    parts := parts || cond;
  end loop;
  return coalesce(nullif(array_to_string(parts, ' and '), ''), 'true');
end;
$$;

-- One page of the contacts matching the filters, keyset-paginated.
-- Order 'recent' (last activity, newest first; index-backed) or 'score'.
create or replace function public.segment_contacts(
  p_tenant_id uuid, p_filters jsonb, p_order text default 'recent', p_after jsonb default null, p_limit integer default 50
)
returns table (id uuid, kind public.contact_kind, first_name text, last_name text, company_name text, email text, phone text,
               city text, postal_code text, tags text[], lifecycle_stage public.lifecycle_stage, owner_id uuid,
               last_activity_at timestamptz, score smallint, label public.score_label)
language plpgsql
stable
set search_path = ''
as $$
declare
  w text := private.segment_where(p_filters);
  lim integer := least(greatest(coalesce(p_limit, 50), 1), 200);
  keyset text := 'true';
begin
  if p_order not in ('recent', 'score') then
    raise exception using errcode = '22023', message = 'invalid_segment_order';
  end if;
  if p_after is not null then
    keyset := case p_order
      when 'recent' then '(c.last_activity_at, c.id) < (($4 ->> ''last_activity_at'')::timestamptz, ($4 ->> ''id'')::uuid)'
      else '(coalesce(s.score, -1), c.id) < ((($4 ->> ''score'')::int), ($4 ->> ''id'')::uuid)' end;
  end if;
  return query execute format(
    'select c.id, c.kind, c.first_name, c.last_name, c.company_name, c.email, c.phone, c.city, c.postal_code, c.tags,
            c.lifecycle_stage, c.owner_id, c.last_activity_at, s.score, s.label
       from public.contacts c
       left join public.contact_scores s on s.tenant_id = c.tenant_id and s.contact_id = c.id
      where c.tenant_id = $2 and c.deleted_at is null and (%s) and (%s)
      order by %s
      limit $3', w, keyset,
    case p_order when 'recent' then 'c.last_activity_at desc, c.id desc' else 'coalesce(s.score, -1) desc, c.id desc' end)
  using p_filters, p_tenant_id, lim, p_after;
end;
$$;

-- The live count of a segment.
create or replace function public.segment_count(p_tenant_id uuid, p_filters jsonb)
returns bigint
language plpgsql
stable
set search_path = ''
as $$
declare
  n bigint;
begin
  execute format(
    'select count(*) from public.contacts c
       left join public.contact_scores s on s.tenant_id = c.tenant_id and s.contact_id = c.id
      where c.tenant_id = $2 and c.deleted_at is null and (%s)', private.segment_where(p_filters))
  into n using p_filters, p_tenant_id;
  return n;
end;
$$;

-- Bulk actions on contacts of one tenant: add_tag, remove_tag, assign_owner
-- (value = user id, or null to unassign), add_to_base / remove_from_base
-- (value = base id). Runs as the caller: the policies decide (removing from a
-- base needs an agent). Returns the number of contacts changed.
create or replace function public.bulk_contacts_action(p_tenant_id uuid, p_contact_ids uuid[], p_action text, p_value text default null)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  n integer;
begin
  if p_contact_ids is null or cardinality(p_contact_ids) = 0 then
    return 0;
  end if;
  if cardinality(p_contact_ids) > 10000 then
    raise exception using errcode = '22023', message = 'too_many_contacts', detail = jsonb_build_object('max', 10000)::text;
  end if;
  case p_action
    when 'add_tag', 'remove_tag' then
      if p_value is null or char_length(btrim(p_value)) not between 1 and 60 then
        raise exception using errcode = '22023', message = 'invalid_tag', detail = jsonb_build_object('field', 'tag')::text;
      end if;
      if p_action = 'add_tag' then
        update public.contacts c set tags = array_append(c.tags, btrim(p_value))
         where c.tenant_id = p_tenant_id and c.id = any (p_contact_ids) and not (btrim(p_value) = any (c.tags));
      else
        update public.contacts c set tags = array_remove(c.tags, btrim(p_value))
         where c.tenant_id = p_tenant_id and c.id = any (p_contact_ids) and btrim(p_value) = any (c.tags);
      end if;
    when 'assign_owner' then
      if p_value is not null and not exists (select 1 from public.tenant_members m where m.tenant_id = p_tenant_id and m.user_id = p_value::uuid) then
        raise exception using errcode = '22023', message = 'owner_not_member', detail = jsonb_build_object('field', 'owner_id')::text;
      end if;
      update public.contacts c set owner_id = p_value::uuid
       where c.tenant_id = p_tenant_id and c.id = any (p_contact_ids) and c.owner_id is distinct from p_value::uuid;
    when 'add_to_base' then
      insert into public.prospect_base_members (tenant_id, prospect_base_id, contact_id)
      select p_tenant_id, p_value::uuid, c.id from public.contacts c
       where c.tenant_id = p_tenant_id and c.id = any (p_contact_ids) and c.deleted_at is null
      on conflict do nothing;
    when 'remove_from_base' then
      delete from public.prospect_base_members m
       where m.tenant_id = p_tenant_id and m.prospect_base_id = p_value::uuid and m.contact_id = any (p_contact_ids);
    else
      raise exception using errcode = '22023', message = 'invalid_bulk_action', detail = jsonb_build_object('action', p_action)::text;
  end case;
  get diagnostics n = row_count;
  return n;
end;
$$;

revoke all on function private.segment_condition(jsonb, integer), private.segment_where(jsonb) from public, anon;
grant execute on function private.segment_condition(jsonb, integer), private.segment_where(jsonb) to authenticated, service_role;
revoke all on function public.segment_contacts(uuid, jsonb, text, jsonb, integer), public.segment_count(uuid, jsonb),
  public.bulk_contacts_action(uuid, uuid[], text, text) from public, anon;
grant execute on function public.segment_contacts(uuid, jsonb, text, jsonb, integer), public.segment_count(uuid, jsonb),
  public.bulk_contacts_action(uuid, uuid[], text, text) to authenticated, service_role;

alter table public.segments enable row level security;
revoke all on public.segments from anon;

create policy segments_select on public.segments for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy segments_insert on public.segments for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy segments_update on public.segments for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy segments_delete on public.segments for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('agent'))));
