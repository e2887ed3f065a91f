-- Sending health: automatic pause per tenant and sending domain.
--
-- private.check_sending_health(now) (pg_cron, every 5 minutes, and in each
-- tick) looks at the tenants that had a complaint or a bounce recently and
-- computes, over a rolling window (tenant setting, default 7 days), the
-- e-mail sends from their sending domain that left, the spam complaints and
-- the hard bounces on those sends. Once at least `health_min_sends` (default
-- 100) sends are in the window, a complaint rate above 0.1 % (tenants may
-- only lower it) or a bounce rate above the tenant's threshold (default 5 %)
-- pauses sending for that (tenant, domain): a row in public.sending_pauses
-- with the numbers, every active sequence of the tenant paused with
-- `paused_reason = 'auto_pause:<reason>'`, queued e-mails held by the worker's
-- gate, a notification to the owner and admins saying why, and a
-- `sending.paused` domain event. An admin resumes with public.resume_sending.

alter table public.tenant_sending_settings
  add column complaint_rate_threshold numeric(6, 5) not null default 0.001,
  add column bounce_rate_threshold numeric(6, 5) not null default 0.05,
  add column health_window_days integer not null default 7,
  add column health_min_sends integer not null default 100,
  add constraint tenant_sending_settings_complaint_threshold check (complaint_rate_threshold > 0 and complaint_rate_threshold <= 0.001),
  add constraint tenant_sending_settings_bounce_threshold check (bounce_rate_threshold > 0 and bounce_rate_threshold <= 0.10),
  add constraint tenant_sending_settings_health_window check (health_window_days between 1 and 30),
  add constraint tenant_sending_settings_health_min check (health_min_sends between 20 and 100000);

create table public.sending_pauses (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  -- The sending domain (of sender_email) the numbers are about.
  domain text not null,
  reason text not null,
  window_days integer not null,
  sends bigint not null,
  complaints bigint not null,
  bounces bigint not null,
  complaint_rate numeric(8, 6) not null,
  bounce_rate numeric(8, 6) not null,
  threshold numeric(6, 5) not null,
  -- Sequences this pause stopped (resumed together).
  paused_sequence_ids uuid[] not null default '{}',
  paused_at timestamptz not null default now(),
  resumed_at timestamptz,
  resumed_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint sending_pauses_reason check (reason in ('complaint_rate', 'bounce_rate'))
);
-- One active pause per tenant and domain.
create unique index sending_pauses_active_key on public.sending_pauses (tenant_id, domain) where resumed_at is null;
create index sending_pauses_tenant_idx on public.sending_pauses (tenant_id, paused_at desc);
create index sending_pauses_resumed_by_idx on public.sending_pauses (resumed_by) where resumed_by is not null;
-- Recent complaints and bounces, across tenants (which tenants to look at).
create index message_events_health_idx on public.message_events (occurred_at, tenant_id) where type in ('complained', 'bounced');

create trigger sending_pauses_updated_at before update on public.sending_pauses
  for each row execute function private.set_updated_at();
create trigger sending_pauses_protect_fields before update on public.sending_pauses
  for each row execute function private.protect_fields('tenant_id', 'domain', 'created_at');

alter table public.sending_pauses enable row level security;
revoke all on public.sending_pauses from anon;
revoke insert, update, delete, truncate on public.sending_pauses from authenticated;
create policy sending_pauses_select on public.sending_pauses for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
alter publication supabase_realtime add table public.sending_pauses;

-- The sending domain of a tenant (its sender e-mail's domain, or 'default').
create or replace function private.sending_domain(p_tenant_id uuid)
returns text
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((select nullif(lower(split_part(s.sender_email, '@', 2)), '') from public.tenant_sending_settings s
                    where s.tenant_id = p_tenant_id), 'default')
$$;

-- Is e-mail sending paused for this tenant (its current domain)?
create or replace function private.sending_paused(p_tenant_id uuid)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (select 1 from public.sending_pauses p
                  where p.tenant_id = p_tenant_id and p.resumed_at is null and p.domain = private.sending_domain(p_tenant_id))
$$;

-- Checks the tenants with a recent complaint or bounce (or all, p_all); returns the pauses made.
create or replace function private.check_sending_health(p_now timestamptz default now(), p_all boolean default false)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  t record;
  st public.tenant_sending_settings;
  dom text;
  n_sends bigint;
  n_complaints bigint;
  n_bounces bigint;
  c_rate numeric;
  b_rate numeric;
  why text;
  seqs uuid[];
  made integer := 0;
  msg text;
begin
  for t in
    select distinct me.tenant_id from public.message_events me
     where me.type in ('complained', 'bounced') and me.occurred_at > p_now - interval '1 hour' and me.occurred_at <= p_now
    union
    select tn.id from public.tenants tn where p_all
  loop
    st := private.sending_settings(t.tenant_id);
    dom := private.sending_domain(t.tenant_id);
    continue when exists (select 1 from public.sending_pauses p where p.tenant_id = t.tenant_id and p.domain = dom and p.resumed_at is null);
    select count(*),
           count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'complained')),
           count(*) filter (where exists (select 1 from public.message_events me where me.tenant_id = ms.tenant_id and me.send_id = ms.id and me.type = 'bounced'))
      into n_sends, n_complaints, n_bounces
      from public.message_sends ms
     where ms.tenant_id = t.tenant_id and ms.channel = 'email' and ms.sent_at is not null
       and ms.queued_at > p_now - make_interval(days => coalesce(st.health_window_days, 7)) and ms.queued_at <= p_now;
    continue when n_sends < coalesce(st.health_min_sends, 100);
    c_rate := n_complaints::numeric / n_sends;
    b_rate := n_bounces::numeric / n_sends;
    why := case when c_rate > coalesce(st.complaint_rate_threshold, 0.001) then 'complaint_rate'
                when b_rate > coalesce(st.bounce_rate_threshold, 0.05) then 'bounce_rate' end;
    continue when why is null;

    update public.sequences set status = 'paused', paused_reason = 'auto_pause:' || why
     where tenant_id = t.tenant_id and status = 'active';
    select coalesce(array_agg(id), '{}') into seqs from public.sequences
     where tenant_id = t.tenant_id and status = 'paused' and paused_reason = 'auto_pause:' || why;
    insert into public.sending_pauses (tenant_id, domain, reason, window_days, sends, complaints, bounces, complaint_rate, bounce_rate,
                                       threshold, paused_sequence_ids, paused_at)
    values (t.tenant_id, dom, why, coalesce(st.health_window_days, 7), n_sends, n_complaints, n_bounces, c_rate, b_rate,
            case when why = 'complaint_rate' then coalesce(st.complaint_rate_threshold, 0.001) else coalesce(st.bounce_rate_threshold, 0.05) end,
            seqs, p_now);
    msg := case when why = 'complaint_rate'
      then format('Taux de plaintes pour spam de %s %% (%s plainte(s) sur %s e-mails en %s jours), au-dessus du seuil de %s %%. ',
                  to_char(c_rate * 100, 'FM990.00'), n_complaints, n_sends, coalesce(st.health_window_days, 7),
                  to_char(coalesce(st.complaint_rate_threshold, 0.001) * 100, 'FM990.00'))
      else format('Taux de rebonds de %s %% (%s rebond(s) sur %s e-mails en %s jours), au-dessus du seuil de %s %%. ',
                  to_char(b_rate * 100, 'FM990.00'), n_bounces, n_sends, coalesce(st.health_window_days, 7),
                  to_char(coalesce(st.bounce_rate_threshold, 0.05) * 100, 'FM990.00')) end
      || format('Les envois depuis %s et %s séquence(s) active(s) sont en pause : vérifiez la qualité et le consentement de la liste avant de reprendre.',
                dom, cardinality(seqs));
    insert into public.notifications (tenant_id, user_id, kind, title, body, link, payload)
    select t.tenant_id, m.user_id, 'sending.paused', 'Envois suspendus automatiquement', msg, '/sequences',
           jsonb_build_object('reason', why, 'domain', dom, 'sends', n_sends, 'complaints', n_complaints, 'bounces', n_bounces,
                              'complaint_rate', c_rate, 'bounce_rate', b_rate, 'window_days', coalesce(st.health_window_days, 7))
      from public.tenant_members m where m.tenant_id = t.tenant_id and m.role in ('owner', 'admin');
    perform private.emit_event(t.tenant_id, 'sending.paused', null, null,
      jsonb_build_object('reason', why, 'domain', dom, 'sends', n_sends, 'complaint_rate', c_rate, 'bounce_rate', b_rate));
    made := made + 1;
  end loop;
  return made;
end;
$$;

-- An admin resumes sending: the pause ends, the sequences it stopped run again
-- (each enrolment keeps its own next slot: no burst).
create or replace function public.resume_sending(p_pause_id uuid)
returns public.sending_pauses
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  p public.sending_pauses;
begin
  select * into p from public.sending_pauses where id = p_pause_id for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'pause_not_found';
  end if;
  perform private.require_role(p.tenant_id, 'admin');
  if p.resumed_at is not null then
    return p;
  end if;
  update public.sending_pauses set resumed_at = now(), resumed_by = (select auth.uid()) where id = p.id returning * into p;
  update public.sequences set status = 'active', paused_reason = null
   where tenant_id = p.tenant_id and id = any (p.paused_sequence_ids) and status = 'paused' and paused_reason like 'auto_pause:%';
  perform private.emit_event(p.tenant_id, 'sending.resumed', null, null, jsonb_build_object('pause_id', p.id, 'domain', p.domain));
  return p;
end;
$$;

revoke all on function private.sending_domain(uuid), private.sending_paused(uuid), private.check_sending_health(timestamptz, boolean)
  from public, anon, authenticated;
grant execute on function private.sending_domain(uuid), private.sending_paused(uuid), private.check_sending_health(timestamptz, boolean)
  to service_role;
revoke all on function public.resume_sending(uuid) from public, anon;
grant execute on function public.resume_sending(uuid) to authenticated, service_role;
