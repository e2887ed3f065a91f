-- Pipelines as agencies configure them: the default real-estate pipeline
-- (created on first use, or by an admin as a new pipeline), and one atomic RPC
-- that saves a pipeline's name, loss reasons and ordered stages.

-- Prospect → Contacté → Intéressé → RDV / Estimation → Mandat / Proposition → Gagné / Perdu
create or replace function private.create_default_pipeline(p_tenant_id uuid, p_name text, p_is_default boolean)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  pid uuid;
begin
  insert into public.pipelines (tenant_id, name, position, is_default, created_by)
  values (p_tenant_id, p_name, coalesce((select max(position) + 1 from public.pipelines where tenant_id = p_tenant_id), 1), p_is_default, (select auth.uid()))
  returning id into pid;
  insert into public.pipeline_stages (tenant_id, pipeline_id, name, position, probability, kind)
  select p_tenant_id, pid, s.name, s.pos, s.prob, s.kind::public.stage_kind
    from (values ('Prospect', 1, 10, 'open'), ('Contacté', 2, 20, 'open'), ('Intéressé', 3, 35, 'open'),
                 ('RDV / Estimation', 4, 50, 'open'), ('Mandat / Proposition', 5, 75, 'open'),
                 ('Gagné', 6, 100, 'won'), ('Perdu', 7, 0, 'lost')) as s(name, pos, prob, kind);
  return pid;
end;
$$;
revoke all on function private.create_default_pipeline(uuid, text, boolean) from public, anon, authenticated;

-- The tenant's default pipeline, created with the real-estate stages when the
-- tenant has no pipeline yet (any member may trigger it: opening the board).
create or replace function public.ensure_default_pipeline(p_tenant_id uuid)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  pid uuid;
begin
  perform private.require_role(p_tenant_id, 'assistant');
  perform pg_advisory_xact_lock(hashtextextended('ensure_default_pipeline:' || p_tenant_id::text, 0));
  select id into pid from public.pipelines where tenant_id = p_tenant_id order by is_default desc, position, created_at limit 1;
  if pid is null then
    pid := private.create_default_pipeline(p_tenant_id, 'Ventes', true);
  end if;
  return pid;
end;
$$;
revoke all on function public.ensure_default_pipeline(uuid) from public, anon;
grant execute on function public.ensure_default_pipeline(uuid) to authenticated, service_role;

-- A new pipeline with the default stages (admins).
create or replace function public.create_pipeline(p_tenant_id uuid, p_name text)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'admin');
  if char_length(btrim(coalesce(p_name, ''))) not between 1 and 120 then
    raise exception using errcode = '22023', message = 'invalid_pipeline_name', detail = jsonb_build_object('field', 'name')::text;
  end if;
  return private.create_default_pipeline(p_tenant_id, btrim(p_name), not exists (select 1 from public.pipelines where tenant_id = p_tenant_id));
end;
$$;
revoke all on function public.create_pipeline(uuid, text) from public, anon;
grant execute on function public.create_pipeline(uuid, text) to authenticated, service_role;

-- Saves a pipeline as the settings page shows it. p_stages: the ordered list
-- [{"id": uuid|null, "name": text, "probability": 0-100, "kind": "open"|"won"|"lost"}];
-- stages missing from the list are deleted (refused with stage_not_empty while
-- deals sit in them). Runs as the caller: pipelines and stages are admin-only by RLS.
create or replace function public.save_pipeline(p_pipeline_id uuid, p_name text, p_loss_reasons text[], p_stages jsonb)
returns void
language plpgsql
security invoker
set search_path = ''
as $$
declare
  p public.pipelines;
  st jsonb;
  i integer := 0;
  kept uuid[] := '{}';
  n integer;
  blocking record;
begin
  select * into p from public.pipelines where id = p_pipeline_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'pipeline_not_found';
  end if;
  perform private.require_role(p.tenant_id, 'admin');
  if jsonb_typeof(p_stages) <> 'array' or jsonb_array_length(p_stages) = 0 or jsonb_array_length(p_stages) > 20 then
    raise exception using errcode = '22023', message = 'invalid_stages', detail = jsonb_build_object('field', 'stages')::text;
  end if;
  if not exists (select 1 from jsonb_array_elements(p_stages) e where coalesce(e ->> 'kind', 'open') = 'open') then
    raise exception using errcode = '22023', message = 'open_stage_required', detail = jsonb_build_object('field', 'stages')::text;
  end if;
  if (select count(distinct lower(btrim(e ->> 'name'))) from jsonb_array_elements(p_stages) e) <> jsonb_array_length(p_stages) then
    raise exception using errcode = '22023', message = 'duplicate_stage_name', detail = jsonb_build_object('field', 'stages')::text;
  end if;

  update public.pipelines set name = btrim(p_name), loss_reasons = array(select btrim(r) from unnest(coalesce(p_loss_reasons, '{}')) r where btrim(r) <> '')
   where id = p.id;

  -- Stages that go: refused while they hold deals.
  select s.id, s.name, count(d.id) as deals into blocking
    from public.pipeline_stages s join public.deals d on d.tenant_id = s.tenant_id and d.stage_id = s.id
   where s.tenant_id = p.tenant_id and s.pipeline_id = p.id
     and s.id not in (select (e ->> 'id')::uuid from jsonb_array_elements(p_stages) e where e ->> 'id' is not null)
   group by s.id, s.name limit 1;
  if found then
    raise exception using errcode = '23503', message = 'stage_not_empty',
      detail = jsonb_build_object('stage_id', blocking.id, 'name', blocking.name, 'deals', blocking.deals)::text;
  end if;
  delete from public.pipeline_stages s
   where s.tenant_id = p.tenant_id and s.pipeline_id = p.id
     and s.id not in (select (e ->> 'id')::uuid from jsonb_array_elements(p_stages) e where e ->> 'id' is not null);

  -- Out of the way of the unique (pipeline, position) index, then 1..n.
  update public.pipeline_stages set position = -position - 1000 where tenant_id = p.tenant_id and pipeline_id = p.id;
  for st in select * from jsonb_array_elements(p_stages) loop
    i := i + 1;
    if st ->> 'id' is not null then
      update public.pipeline_stages
         set name = btrim(st ->> 'name'), position = i,
             probability = case coalesce(st ->> 'kind', 'open') when 'won' then 100 when 'lost' then 0 else (st ->> 'probability')::smallint end,
             kind = coalesce(st ->> 'kind', 'open')::public.stage_kind
       where tenant_id = p.tenant_id and pipeline_id = p.id and id = (st ->> 'id')::uuid;
      get diagnostics n = row_count;
      if n = 0 then
        raise exception using errcode = 'P0002', message = 'stage_not_found', detail = jsonb_build_object('stage_id', st ->> 'id')::text;
      end if;
    else
      insert into public.pipeline_stages (tenant_id, pipeline_id, name, position, probability, kind)
      values (p.tenant_id, p.id, btrim(st ->> 'name'), i,
              case coalesce(st ->> 'kind', 'open') when 'won' then 100 when 'lost' then 0 else (st ->> 'probability')::smallint end,
              coalesce(st ->> 'kind', 'open')::public.stage_kind);
    end if;
  end loop;
end;
$$;
revoke all on function public.save_pipeline(uuid, text, text[], jsonb) from public, anon;
grant execute on function public.save_pipeline(uuid, text, text[], jsonb) to authenticated, service_role;

-- Existing tenants without a pipeline get the default one.
select private.create_default_pipeline(t.id, 'Ventes', true)
  from public.tenants t where not exists (select 1 from public.pipelines p where p.tenant_id = t.id);
