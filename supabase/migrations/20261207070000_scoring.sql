-- Explainable contact scoring: score 0-100 = weighted fit (zone, specialisation,
-- size, reachability vs the agency profile), engagement (opens, clicks, replies,
-- form submissions, recency, read from public.events) and timing (September /
-- January seasonality, recent activity). Weights and label thresholds are per
-- tenant. Each score keeps its breakdown: a list of reasons
--   {component, code, points, params, text}
-- where `code` + `params` are translated by the app (scoring.reasons.<code>)
-- and `text` is the same reason in plain French (exports, e-mails, logs).
--
-- Freshness: events recompute their contacts at once (statement trigger);
-- contact writes mark the contact stale (private.contact_score_queue) and the
-- minute tick recomputes stale contacts in batches; a weights change re-marks
-- the tenant; scores older than a day are refreshed too (timing moves with
-- the calendar).

create table public.tenant_scoring_settings (
  tenant_id uuid primary key references public.tenants (id) on delete cascade,
  weight_fit smallint not null default 40,
  weight_engagement smallint not null default 40,
  weight_timing smallint not null default 20,
  hot_threshold smallint not null default 70,
  warm_threshold smallint not null default 40,
  updated_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint tenant_scoring_settings_weights_range check (
    weight_fit between 0 and 100 and weight_engagement between 0 and 100 and weight_timing between 0 and 100),
  constraint tenant_scoring_settings_weights_sum check (weight_fit + weight_engagement + weight_timing = 100),
  constraint tenant_scoring_settings_thresholds check (warm_threshold between 1 and 99 and hot_threshold between 2 and 100
    and warm_threshold < hot_threshold)
);
comment on table public.tenant_scoring_settings is
  'Per-tenant scoring weights (fit + engagement + timing = 100) and hot/warm thresholds. Absent row = defaults 40/40/20, 70/40.';

create type public.score_label as enum ('cold', 'warm', 'hot');

create table public.contact_scores (
  tenant_id uuid not null,
  contact_id uuid not null,
  score smallint not null,
  fit smallint not null,
  engagement smallint not null,
  timing smallint not null,
  label public.score_label not null,
  breakdown jsonb not null default '[]',
  next_action text not null,
  computed_at timestamptz not null default now(),
  primary key (tenant_id, contact_id),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade,
  constraint contact_scores_range check (score between 0 and 100 and fit between 0 and 100
    and engagement between 0 and 100 and timing between 0 and 100),
  constraint contact_scores_breakdown_array check (jsonb_typeof(breakdown) = 'array'),
  constraint contact_scores_next_action_known check (next_action in (
    'do_not_contact', 'call_now', 'send_personal_email', 'follow_up', 'enrich', 'nurture', 'wait_season'))
);
comment on table public.contact_scores is 'The current score of each contact with its breakdown; written only by private.refresh_contact_scores.';
-- Segments and lists filter and sort by score within a tenant.
create index contact_scores_tenant_score_idx on public.contact_scores (tenant_id, score desc, contact_id);
create index contact_scores_tenant_label_idx on public.contact_scores (tenant_id, label);

-- Contacts whose score must be recomputed (not exposed).
create table private.contact_score_queue (
  tenant_id uuid not null,
  contact_id uuid not null,
  queued_at timestamptz not null default now(),
  primary key (tenant_id, contact_id)
);
create index contact_score_queue_queued_idx on private.contact_score_queue (queued_at);

create trigger tenant_scoring_settings_updated_at before update on public.tenant_scoring_settings
  for each row execute function private.set_updated_at();
create trigger tenant_scoring_settings_protect_fields before update on public.tenant_scoring_settings
  for each row execute function private.protect_fields('tenant_id', 'created_at');

-- ---------------------------------------------------------------- helpers

-- "Paris 8e" / "Lyon 3e" / "Marseille 1er" from a postal code, else null.
create or replace function private.arrondissement_label(p_postal_code text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when p_postal_code ~ '^750(0[1-9]|1[0-9]|20)$' then 'paris ' || (right(p_postal_code, 2)::int) || case when right(p_postal_code, 2)::int = 1 then 'er' else 'e' end
    when p_postal_code ~ '^6900[1-9]$' then 'lyon ' || (right(p_postal_code, 1)::int) || case when right(p_postal_code, 1)::int = 1 then 'er' else 'e' end
    when p_postal_code ~ '^130(0[1-9]|1[0-6])$' then 'marseille ' || (right(p_postal_code, 2)::int) || case when right(p_postal_code, 2)::int = 1 then 'er' else 'e' end
  end
$$;

-- The zone of `zones` (a tenant's geographic_zones: commune names, "Paris 8e",
-- postal codes or department numbers) that a contact's address falls in.
create or replace function private.matching_zone(p_zones text[], p_postal_code text, p_city text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select z from unnest(p_zones) z
   where private.search_text(z) = private.search_text(p_city)
      or private.search_text(z) = private.arrondissement_label(p_postal_code)
      or z = p_postal_code
      or (z ~ '^([0-9]{2}|2[AB]|97[0-9])$' and left(p_postal_code, 2) = left(z, 2))
   limit 1
$$;

-- ---------------------------------------------------------------- the score

-- Scores of the given contacts of one tenant, computed from the tables (no
-- write). Set-based: one statement for any number of contacts.
create or replace function private.compute_contact_scores(p_tenant_id uuid, p_contact_ids uuid[], p_now timestamptz default now())
returns table (contact_id uuid, score smallint, fit smallint, engagement smallint, timing smallint,
               label public.score_label, breakdown jsonb, next_action text)
language sql
stable
security definer
set search_path = ''
as $$
  with t as (
    select tn.id, tn.specialisations, tn.geographic_zones, tn.postal_code,
           coalesce(s.weight_fit, 40) as wf, coalesce(s.weight_engagement, 40) as we, coalesce(s.weight_timing, 20) as wt,
           coalesce(s.hot_threshold, 70) as hot, coalesce(s.warm_threshold, 40) as warm
      from public.tenants tn left join public.tenant_scoring_settings s on s.tenant_id = tn.id
     where tn.id = p_tenant_id
  ),
  c as (
    select c.* from public.contacts c where c.tenant_id = p_tenant_id and c.id = any (p_contact_ids)
  ),
  ev as (
    select e.subject_id as contact_id,
           count(*) filter (where e.type = 'message.opened') as opens,
           count(*) filter (where e.type = 'message.clicked') as clicks,
           count(*) filter (where e.type = 'message.replied') as replies,
           count(*) filter (where e.type in ('form.submitted', 'appointment.booked')) as forms,
           max(e.occurred_at) as last_at
      from public.events e
     where e.tenant_id = p_tenant_id and e.subject_type = 'contact' and e.subject_id = any (p_contact_ids)
       and e.type in ('message.opened', 'message.clicked', 'message.replied', 'form.submitted', 'appointment.booked')
       and e.occurred_at > p_now - interval '180 days'
     group by e.subject_id
  ),
  reasons as (
    select c.id,
           -- fit -------------------------------------------------------------
           (select jsonb_agg(r) filter (where r is not null) from (values
              (case
                 when z.zone is not null then jsonb_build_object('component', 'fit', 'code', 'zone_match', 'points', 40,
                      'params', jsonb_build_object('zone', z.zone), 'text', 'Dans votre secteur (' || z.zone || ')')
                 when c.postal_code is not null and t.postal_code is not null and left(c.postal_code, 2) = left(t.postal_code, 2)
                   then jsonb_build_object('component', 'fit', 'code', 'same_department', 'points', 25,
                      'params', jsonb_build_object('department', left(c.postal_code, 2)), 'text', 'Même département que l''agence (' || left(c.postal_code, 2) || ')')
                 when c.postal_code is null and c.city is null then jsonb_build_object('component', 'fit', 'code', 'no_address', 'points', 0,
                      'params', '{}'::jsonb, 'text', 'Adresse inconnue : zone impossible à vérifier')
                 else jsonb_build_object('component', 'fit', 'code', 'outside_zone', 'points', 0,
                      'params', jsonb_build_object('city', coalesce(c.city, c.postal_code)), 'text', 'Hors de votre secteur (' || coalesce(c.city, c.postal_code) || ')')
               end),
              (case
                 when c.kind = 'company' and 'commercial' = any (t.specialisations) then jsonb_build_object('component', 'fit', 'code', 'specialisation_match',
                      'points', 30, 'params', jsonb_build_object('specialisation', 'commercial'), 'text', 'Entreprise : correspond à votre activité d''immobilier d''entreprise')
                 when c.kind = 'person' and t.specialisations && '{residential,luxury,rental}'::public.agency_specialisation[] then jsonb_build_object('component', 'fit',
                      'code', 'specialisation_match', 'points', 30, 'params', jsonb_build_object('specialisation', 'residential'), 'text', 'Particulier : correspond à votre activité résidentielle')
                 else jsonb_build_object('component', 'fit', 'code', 'specialisation_partial', 'points', 10,
                      'params', jsonb_build_object('kind', c.kind), 'text', 'Profil éloigné de vos spécialités')
               end),
              (case
                 when c.kind = 'company' and c.custom_fields ->> 'headcount_band' in ('NN', '00', '01', '02', '03', '11', '12')
                   then jsonb_build_object('component', 'fit', 'code', 'size_small', 'points', 10, 'params', '{}'::jsonb,
                      'text', 'Petite structure : le dirigeant décide lui-même')
                 when c.kind = 'company' and c.custom_fields ? 'headcount_band'
                   then jsonb_build_object('component', 'fit', 'code', 'size_large', 'points', 5, 'params', '{}'::jsonb,
                      'text', 'Structure plus grande : décision plus longue')
                 when c.kind = 'person' and c.job_title is null then jsonb_build_object('component', 'fit', 'code', 'size_private', 'points', 10,
                      'params', '{}'::jsonb, 'text', 'Particulier : décision directe')
               end),
              (case
                 when c.email is not null or c.phone is not null then jsonb_build_object('component', 'fit', 'code', 'reachable', 'points', 20,
                      'params', jsonb_build_object('email', c.email is not null, 'phone', c.phone is not null), 'text', 'Joignable (' ||
                      concat_ws(' et ', case when c.email is not null then 'e-mail' end, case when c.phone is not null then 'téléphone' end) || ')')
                 else jsonb_build_object('component', 'fit', 'code', 'unreachable', 'points', 0, 'params', '{}'::jsonb,
                      'text', 'Ni e-mail ni téléphone : à enrichir')
               end)
           ) v(r)) as fit_reasons,
           -- engagement --------------------------------------------------------
           (select jsonb_agg(r) filter (where r is not null) from (values
              (case when coalesce(ev.replies, 0) > 0 then jsonb_build_object('component', 'engagement', 'code', 'replied', 'points', 40,
                      'params', jsonb_build_object('count', ev.replies), 'text', 'A répondu à vos messages (' || ev.replies || ' fois)') end),
              (case when coalesce(ev.forms, 0) > 0 then jsonb_build_object('component', 'engagement', 'code', 'form_submitted', 'points', 30,
                      'params', jsonb_build_object('count', ev.forms), 'text', 'A rempli un formulaire ou pris rendez-vous (' || ev.forms || ' fois)') end),
              (case when coalesce(ev.clicks, 0) > 0 then jsonb_build_object('component', 'engagement', 'code', 'clicked', 'points', least(ev.clicks * 10, 30),
                      'params', jsonb_build_object('count', ev.clicks), 'text', 'A cliqué dans vos messages (' || ev.clicks || ' fois)') end),
              (case when coalesce(ev.opens, 0) > 0 then jsonb_build_object('component', 'engagement', 'code', 'opened', 'points', least(ev.opens * 5, 20),
                      'params', jsonb_build_object('count', ev.opens), 'text', 'A ouvert vos messages (' || ev.opens || ' fois)') end),
              (case
                 when ev.last_at > p_now - interval '7 days' then jsonb_build_object('component', 'engagement', 'code', 'recent_interaction', 'points', 20,
                      'params', jsonb_build_object('days', 7), 'text', 'Interaction dans les 7 derniers jours')
                 when ev.last_at > p_now - interval '30 days' then jsonb_build_object('component', 'engagement', 'code', 'recent_interaction', 'points', 10,
                      'params', jsonb_build_object('days', 30), 'text', 'Interaction dans les 30 derniers jours')
                 when ev.last_at is null then jsonb_build_object('component', 'engagement', 'code', 'no_interaction', 'points', 0,
                      'params', '{}'::jsonb, 'text', 'Aucune ouverture, aucun clic, aucune réponse sur 6 mois')
               end)
           ) v(r)) as engagement_reasons,
           -- timing ------------------------------------------------------------
           (select jsonb_agg(r) filter (where r is not null) from (values
              (case
                 when extract(month from p_now at time zone 'Europe/Paris') in (9, 1) then jsonb_build_object('component', 'timing', 'code', 'peak_season',
                      'points', 40, 'params', jsonb_build_object('month', extract(month from p_now at time zone 'Europe/Paris')::int),
                      'text', 'Pic saisonnier (' || case when extract(month from p_now at time zone 'Europe/Paris') = 9 then 'rentrée de septembre' else 'janvier' end || ') : les projets se décident maintenant')
                 when extract(month from p_now at time zone 'Europe/Paris') in (7, 8, 12) then jsonb_build_object('component', 'timing', 'code', 'low_season',
                      'points', 5, 'params', jsonb_build_object('month', extract(month from p_now at time zone 'Europe/Paris')::int),
                      'text', 'Période creuse (vacances) : moins de décisions')
                 else jsonb_build_object('component', 'timing', 'code', 'normal_season', 'points', 20,
                      'params', jsonb_build_object('month', extract(month from p_now at time zone 'Europe/Paris')::int), 'text', 'Période ordinaire')
               end),
              (case
                 when c.last_activity_at > p_now - interval '14 days' then jsonb_build_object('component', 'timing', 'code', 'recent_activity', 'points', 40,
                      'params', jsonb_build_object('days', 14), 'text', 'Activité récente (moins de 14 jours)')
                 when c.last_activity_at > p_now - interval '60 days' then jsonb_build_object('component', 'timing', 'code', 'recent_activity', 'points', 20,
                      'params', jsonb_build_object('days', 60), 'text', 'Activité dans les 2 derniers mois')
                 else jsonb_build_object('component', 'timing', 'code', 'dormant', 'points', 0,
                      'params', jsonb_build_object('days', 60), 'text', 'Aucune activité depuis plus de 2 mois')
               end),
              (case when c.lifecycle_stage in ('lead', 'qualified') then jsonb_build_object('component', 'timing', 'code', 'active_stage', 'points', 20,
                      'params', jsonb_build_object('stage', c.lifecycle_stage), 'text', 'Projet en cours (' ||
                      case c.lifecycle_stage when 'lead' then 'lead' else 'qualifié' end || ')') end)
           ) v(r)) as timing_reasons
      from c cross join t
      left join ev on ev.contact_id = c.id
      left join lateral (select private.matching_zone(t.geographic_zones, c.postal_code, c.city) as zone) z on true
  ),
  totals as (
    select r.id, r.fit_reasons, r.engagement_reasons, r.timing_reasons,
           least(100, (select coalesce(sum((x ->> 'points')::int), 0) from jsonb_array_elements(r.fit_reasons) x))::smallint as fit,
           least(100, (select coalesce(sum((x ->> 'points')::int), 0) from jsonb_array_elements(coalesce(r.engagement_reasons, '[]')) x))::smallint as engagement,
           least(100, (select coalesce(sum((x ->> 'points')::int), 0) from jsonb_array_elements(r.timing_reasons) x))::smallint as timing
      from reasons r
  ),
  scored as (
    select x.*, round((x.fit * t.wf + x.engagement * t.we + x.timing * t.wt) / 100.0)::smallint as score, t.hot, t.warm
      from totals x cross join t
  )
  select s.id, s.score, s.fit, s.engagement, s.timing,
         (case when s.score >= s.hot then 'hot' when s.score >= s.warm then 'warm' else 'cold' end)::public.score_label,
         coalesce(s.fit_reasons, '[]') || coalesce(s.engagement_reasons, '[]') || coalesce(s.timing_reasons, '[]'),
         case
           when c.do_not_contact then 'do_not_contact'
           when c.email is null and c.phone is null then 'enrich'
           when s.score >= s.hot and c.phone is not null then 'call_now'
           when s.score >= s.hot then 'send_personal_email'
           when s.score >= s.warm then 'follow_up'
           when s.timing < 30 then 'wait_season'
           else 'nurture'
         end
    from scored s join public.contacts c on c.tenant_id = p_tenant_id and c.id = s.id
$$;

-- Computes and stores the scores of the given contacts (all of the tenant's
-- when p_contact_ids is null); returns how many rows were written.
create or replace function private.refresh_contact_scores(p_tenant_id uuid, p_contact_ids uuid[] default null)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  ids uuid[] := p_contact_ids;
  n integer;
begin
  if ids is null then
    select array_agg(c.id) into ids from public.contacts c where c.tenant_id = p_tenant_id and c.deleted_at is null;
  end if;
  if ids is null or cardinality(ids) = 0 then
    return 0;
  end if;
  insert into public.contact_scores as cs (tenant_id, contact_id, score, fit, engagement, timing, label, breakdown, next_action, computed_at)
  select p_tenant_id, s.contact_id, s.score, s.fit, s.engagement, s.timing, s.label, s.breakdown, s.next_action, now()
    from private.compute_contact_scores(p_tenant_id, ids) s
  on conflict (tenant_id, contact_id) do update
     set score = excluded.score, fit = excluded.fit, engagement = excluded.engagement, timing = excluded.timing,
         label = excluded.label, breakdown = excluded.breakdown, next_action = excluded.next_action, computed_at = excluded.computed_at;
  get diagnostics n = row_count;
  delete from private.contact_score_queue q where q.tenant_id = p_tenant_id and q.contact_id = any (ids);
  return n;
end;
$$;

-- The minute tick: recomputes queued contacts, then scores older than a day,
-- at most p_limit contacts in all. Returns the number recomputed.
create or replace function private.run_scoring_tick(p_limit integer default 5000)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  r record;
  done integer := 0;
begin
  for r in
    select q.tenant_id, array_agg(q.contact_id) as ids
      from (select tenant_id, contact_id from private.contact_score_queue order by queued_at limit p_limit) q
     group by q.tenant_id
  loop
    done := done + private.refresh_contact_scores(r.tenant_id, r.ids);
  end loop;
  if done < p_limit then
    for r in
      select s.tenant_id, array_agg(s.contact_id) as ids
        from (select tenant_id, contact_id from public.contact_scores
               where computed_at < now() - interval '1 day' order by computed_at limit p_limit - done) s
       group by s.tenant_id
    loop
      done := done + private.refresh_contact_scores(r.tenant_id, r.ids);
    end loop;
  end if;
  return done;
end;
$$;

-- ---------------------------------------------------------------- triggers

-- Contact writes only mark the contact (imports stay fast: one INSERT … SELECT
-- per statement); the tick recomputes.
create or replace function private.contacts_mark_score_stale()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.contact_score_queue (tenant_id, contact_id)
  select n.tenant_id, n.id from new_rows n where n.deleted_at is null
  on conflict do nothing;
  return null;
end;
$$;
create trigger contacts_score_stale_insert after insert on public.contacts
  referencing new table as new_rows for each statement execute function private.contacts_mark_score_stale();
create trigger contacts_score_stale_update after update on public.contacts
  referencing new table as new_rows for each statement execute function private.contacts_mark_score_stale();

-- Engagement events update their contacts' scores in the same transaction.
create or replace function private.events_refresh_scores()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
begin
  for r in
    select n.tenant_id, array_agg(distinct n.subject_id) as ids
      from new_rows n
     where n.subject_type = 'contact' and n.subject_id is not null
       and n.type in ('message.opened', 'message.clicked', 'message.replied', 'form.submitted', 'appointment.booked')
     group by n.tenant_id
  loop
    perform private.refresh_contact_scores(r.tenant_id,
      array(select c.id from public.contacts c where c.tenant_id = r.tenant_id and c.id = any (r.ids)));
  end loop;
  return null;
end;
$$;
create trigger events_refresh_scores after insert on public.events
  referencing new table as new_rows for each statement execute function private.events_refresh_scores();

-- New weights re-mark the whole tenant.
create or replace function private.scoring_settings_changed()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into private.contact_score_queue (tenant_id, contact_id)
  select c.tenant_id, c.id from public.contacts c where c.tenant_id = new.tenant_id and c.deleted_at is null
  on conflict do nothing;
  return null;
end;
$$;
create trigger tenant_scoring_settings_changed after insert or update on public.tenant_scoring_settings
  for each row execute function private.scoring_settings_changed();

-- ---------------------------------------------------------------- RPC

-- The score of one contact, computed now if it is missing or stale.
create or replace function public.contact_score(p_tenant_id uuid, p_contact_id uuid)
returns setof public.contact_scores
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'assistant');
  if not exists (select 1 from public.contacts c where c.tenant_id = p_tenant_id and c.id = p_contact_id) then
    raise exception using errcode = 'P0002', message = 'contact_not_found';
  end if;
  if not exists (select 1 from public.contact_scores s where s.tenant_id = p_tenant_id and s.contact_id = p_contact_id
                   and s.computed_at > now() - interval '1 day')
     or exists (select 1 from private.contact_score_queue q where q.tenant_id = p_tenant_id and q.contact_id = p_contact_id) then
    perform private.refresh_contact_scores(p_tenant_id, array[p_contact_id]);
  end if;
  return query select s.* from public.contact_scores s where s.tenant_id = p_tenant_id and s.contact_id = p_contact_id;
end;
$$;

-- Recomputes every contact of the tenant now (after changing the weights), admin+.
create or replace function public.recompute_scores(p_tenant_id uuid)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'admin');
  return private.refresh_contact_scores(p_tenant_id, null);
end;
$$;

revoke all on function private.arrondissement_label(text), private.matching_zone(text[], text, text),
  private.compute_contact_scores(uuid, uuid[], timestamptz), private.refresh_contact_scores(uuid, uuid[]),
  private.run_scoring_tick(integer), private.contacts_mark_score_stale(), private.events_refresh_scores(),
  private.scoring_settings_changed() from public, anon, authenticated;
grant execute on function private.compute_contact_scores(uuid, uuid[], timestamptz), private.refresh_contact_scores(uuid, uuid[]),
  private.run_scoring_tick(integer) to service_role;
revoke all on function public.contact_score(uuid, uuid), public.recompute_scores(uuid) from public, anon;
grant execute on function public.contact_score(uuid, uuid), public.recompute_scores(uuid) to authenticated, service_role;

select private.schedule_job('scoring-tick', '* * * * *', 'select private.run_scoring_tick()');

-- ---------------------------------------------------------------- RLS

alter table public.tenant_scoring_settings enable row level security;
alter table public.contact_scores enable row level security;
alter table private.contact_score_queue enable row level security;
revoke all on public.tenant_scoring_settings, public.contact_scores from anon;
revoke all on private.contact_score_queue from public, anon, authenticated;
-- Scores are written by the functions above only.
revoke insert, update, delete, truncate on public.contact_scores from authenticated;
revoke truncate on public.tenant_scoring_settings from authenticated;

create policy tenant_scoring_settings_select on public.tenant_scoring_settings for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy tenant_scoring_settings_insert on public.tenant_scoring_settings for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy tenant_scoring_settings_update on public.tenant_scoring_settings for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));
create policy tenant_scoring_settings_delete on public.tenant_scoring_settings for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('admin'))));

create policy contact_scores_select on public.contact_scores for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

alter publication supabase_realtime add table public.contact_scores;
