-- Records of generated bases (contacts.source = 'generation') leave through exports only
-- up to the plan's monthly allowance (private.generation_plan_limits.monthly_export_rows,
-- docs/bases.md "Plan limits"), per agency and calendar month (Europe/Paris, like the
-- generation credits), whatever the role. A counter per tenant and month keeps the check
-- cheap; an export whose generated records do not fit is refused whole.

create table private.generated_export_usage (
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  month date not null,
  rows_exported integer not null default 0,
  primary key (tenant_id, month),
  constraint generated_export_usage_rows check (rows_exported >= 0)
);
comment on table private.generated_export_usage is
  'Generated-base records exported per agency and calendar month (Europe/Paris), against the plan''s monthly_export_rows.';
revoke all on private.generated_export_usage from public, anon, authenticated;

create or replace function private.export_month()
returns date
language sql
stable
set search_path = ''
as $$
  select date_trunc('month', now() at time zone 'Europe/Paris')::date
$$;
revoke all on function private.export_month() from public, anon;

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
  v_generated integer;
  v_plan_rows integer;
  v_plan_used integer;
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

  -- Records of generated bases: the plan's monthly allowance, per agency.
  select count(*)::integer into v_generated
    from public.contacts c where c.tenant_id = p_tenant_id and c.id = any (v_ids) and c.source = 'generation';
  if v_generated > 0 then
    insert into private.generated_export_usage (tenant_id, month) values (p_tenant_id, private.export_month())
    on conflict do nothing;
    -- the row lock serialises the agency's exports of generated records for the month
    select u.rows_exported into v_plan_used from private.generated_export_usage u
     where u.tenant_id = p_tenant_id and u.month = private.export_month() for update;
    select gl.monthly_export_rows into v_plan_rows
      from public.tenants t join private.generation_plan_limits gl on gl.plan = t.plan where t.id = p_tenant_id;
    v_plan_rows := coalesce(v_plan_rows, 0);
    if v_plan_used + v_generated > v_plan_rows then
      raise exception using errcode = '54000', message = 'export_plan_limit',
        detail = jsonb_build_object('max_rows', v_plan_rows, 'used', v_plan_used, 'remaining', greatest(v_plan_rows - v_plan_used, 0),
                                   'generated', v_generated)::text,
        hint = format('Votre offre permet d''exporter %s fiches de bases générées par mois ; cet export en contient %s et il en reste %s. '
                      'Retirez les bases générées de la sélection ou passez à une offre supérieure.',
                      v_plan_rows, v_generated, greatest(v_plan_rows - v_plan_used, 0));
    end if;
    update private.generated_export_usage set rows_exported = rows_exported + v_generated
     where tenant_id = p_tenant_id and month = private.export_month();
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
