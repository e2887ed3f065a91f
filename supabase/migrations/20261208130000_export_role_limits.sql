-- Export limits per role (docs/import.md, "Export limits"). export_contacts already
-- refused assistants (agent and above only) and capped every export at 50,000 rows;
-- agents are now capped per export and per rolling 24 hours, counted from the audit
-- trail (one 'export' row per exported contact). Owners and admins keep the
-- 50,000-row ceiling and no daily cap. The figures live in a table so a deployment
-- can tune them without a new function.

create table private.export_role_limits (
  role public.tenant_role primary key,
  max_rows_per_export integer not null,
  -- null: no cap over 24 hours
  max_rows_per_day integer,
  constraint export_role_limits_per_export check (max_rows_per_export between 0 and 50000),
  constraint export_role_limits_per_day check (max_rows_per_day is null or max_rows_per_day >= 0)
);
comment on table private.export_role_limits is
  'Rows a member may export, by role: per export and per rolling 24 hours (null = no daily cap). Assistants cannot export at all (require_role agent).';
insert into private.export_role_limits (role, max_rows_per_export, max_rows_per_day) values
  ('agent', 1000, 5000),
  ('admin', 50000, null),
  ('owner', 50000, null);
revoke all on private.export_role_limits from public, anon, authenticated;

create or replace function public.export_contacts(p_tenant_id uuid, p_filters jsonb default '{}', p_ids uuid[] default null, p_format text default 'csv')
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_role public.tenant_role;
  v_per_export integer;
  v_per_day integer;
  v_used integer := 0;
  v_ids uuid[];
  v_n integer;
  v_rows jsonb;
begin
  perform private.require_role(p_tenant_id, 'agent');
  if p_format not in ('csv', 'xlsx') then
    raise exception using errcode = '22023', message = 'invalid_format', detail = jsonb_build_object('field', 'format')::text;
  end if;
  select m.role into v_role from public.tenant_members m where m.tenant_id = p_tenant_id and m.user_id = v_uid;
  select coalesce(l.max_rows_per_export, 0), l.max_rows_per_day into v_per_export, v_per_day
    from (select 1) one left join private.export_role_limits l on l.role = v_role;
  v_per_export := least(coalesce(v_per_export, 0), 50000);

  select array_agg(id) into v_ids
    from (select id from private.contacts_matching(p_tenant_id, coalesce(p_filters, '{}'), p_ids) id limit v_per_export + 1) x;
  v_n := coalesce(cardinality(v_ids), 0);
  if v_n > v_per_export then
    if v_per_export >= 50000 then
      raise exception using errcode = '54000', message = 'export_too_large', detail = jsonb_build_object('max_rows', 50000)::text,
        hint = 'L''export est limité à 50 000 contacts : affinez les filtres.';
    end if;
    raise exception using errcode = '54000', message = 'export_role_limit',
      detail = jsonb_build_object('max_rows', v_per_export, 'role', v_role)::text,
      hint = format('Votre rôle permet d''exporter %s contacts au plus à la fois : affinez les filtres ou sélectionnez moins de contacts.', v_per_export);
  end if;
  if v_n = 0 then
    return '[]'::jsonb;
  end if;

  if v_per_day is not null then
    -- One member's exports run one at a time, so two at once cannot both fit the remainder.
    perform pg_advisory_xact_lock(hashtextextended('export_contacts:' || p_tenant_id::text || ':' || v_uid::text, 0));
    select count(*)::integer into v_used
      from public.audit_log a
     where a.tenant_id = p_tenant_id and a.actor_id = v_uid and a.action = 'export' and a.table_name = 'contacts'
       and a.occurred_at > now() - interval '24 hours';
    if v_used + v_n > v_per_day then
      raise exception using errcode = '54000', message = 'export_daily_limit',
        detail = jsonb_build_object('max_rows', v_per_day, 'used', v_used, 'remaining', greatest(v_per_day - v_used, 0), 'role', v_role)::text,
        hint = format('Votre rôle permet d''exporter %s contacts par 24 heures ; il en reste %s. Un administrateur peut exporter davantage.',
                      v_per_day, greatest(v_per_day - v_used, 0));
    end if;
  end if;

  insert into public.audit_log (tenant_id, actor_id, actor_role, action, table_name, record_id, purpose)
  select p_tenant_id, v_uid, session_user || '/' || current_setting('role'), 'export', 'contacts', id,
         'export ' || p_format
    from unnest(v_ids) id;
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', c.id, 'kind', c.kind, 'first_name', c.first_name, 'last_name', c.last_name, 'email', c.email,
           'phone', c.phone, 'company_name', c.company_name, 'job_title', c.job_title, 'siret', c.siret,
           'address_line', c.address_line, 'postal_code', c.postal_code, 'city', c.city, 'tags', c.tags,
           'lifecycle_stage', c.lifecycle_stage, 'email_consent', c.email_consent, 'sms_consent', c.sms_consent,
           'do_not_contact', c.do_not_contact, 'created_at', c.created_at) order by c.last_activity_at desc, c.id desc), '[]')
    into v_rows
    from public.contacts c where c.tenant_id = p_tenant_id and c.id = any (v_ids);
  return v_rows;
end;
$$;

revoke all on function public.export_contacts(uuid, jsonb, uuid[], text) from public, anon;
grant execute on function public.export_contacts(uuid, jsonb, uuid[], text) to authenticated, service_role;

-- What the export dialog shows before the user asks: the caller's limits and what is left today.
create or replace function public.export_allowance(p_tenant_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_uid uuid := (select auth.uid());
  v_role public.tenant_role;
  l private.export_role_limits;
  v_used integer := 0;
begin
  perform private.require_role(p_tenant_id, 'assistant');
  select m.role into v_role from public.tenant_members m where m.tenant_id = p_tenant_id and m.user_id = v_uid;
  select * into l from private.export_role_limits where role = v_role;
  if not found then
    return jsonb_build_object('role', v_role, 'allowed', false, 'max_rows_per_export', 0, 'max_rows_per_day', 0, 'remaining_today', 0);
  end if;
  if l.max_rows_per_day is not null then
    select count(*)::integer into v_used
      from public.audit_log a
     where a.tenant_id = p_tenant_id and a.actor_id = v_uid and a.action = 'export' and a.table_name = 'contacts'
       and a.occurred_at > now() - interval '24 hours';
  end if;
  return jsonb_build_object('role', v_role, 'allowed', true, 'max_rows_per_export', least(l.max_rows_per_export, 50000),
    'max_rows_per_day', l.max_rows_per_day,
    'remaining_today', case when l.max_rows_per_day is null then null else greatest(l.max_rows_per_day - v_used, 0) end);
end;
$$;
revoke all on function public.export_allowance(uuid) from public, anon;
grant execute on function public.export_allowance(uuid) to authenticated, service_role;
