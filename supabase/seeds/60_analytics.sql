-- Demo analytics history for "Agence Étoile Immobilier": twelve weeks of
-- sequence sends and their engagement, deals that moved, won and lost over
-- that time, AI usage, and today's tasks and hot leads, so the dashboard,
-- /analytique, ROI and the reports show real figures. Deterministic: every
-- choice is a hash of a row number, times are relative to now().
-- Written as the platform (superuser): the message ledger is the engine's.

create function pg_temp.h(i bigint, salt text) returns integer
language sql immutable as $$
  select ('x' || substr(md5(salt || ':' || i), 1, 8))::bit(32)::int & 2147483647
$$;

do $$
declare
  t constant uuid := 'e7011e00-0000-4000-8000-000000000001';
begin
  -- ---------------------------------------------------------------- deals over twelve weeks
  -- Each deal's moves are spread between its creation and where it stands
  -- today: closed deals closed within the last 12 weeks, open ones moved in
  -- the last 6. History is append-only for the API; the seed rewrites the
  -- demo's timestamps once, as the platform.
  create temp table seed_deal_times on commit drop as
  select d.id, d.created_at, s.kind,
         case when s.kind <> 'open'
              then greatest(d.created_at + interval '10 days',
                            now() - make_interval(days => pg_temp.h(hashtext(d.id::text), 'close') % 84, hours => pg_temp.h(hashtext(d.id::text), 'ch') % 9))
              else now() - make_interval(days => 1 + pg_temp.h(hashtext(d.id::text), 'open') % 42) end as final_at
    from public.deals d join public.pipeline_stages s on s.id = d.stage_id
   where d.tenant_id = t;

  alter table public.deal_stage_history disable trigger deal_stage_history_append_only;
  with h as (
    select h.id, h.deal_id, st.created_at, st.final_at,
           row_number() over (partition by h.deal_id order by h.id) as rn,
           count(*) over (partition by h.deal_id) as n
      from public.deal_stage_history h join seed_deal_times st on st.id = h.deal_id
  ), timed as (
    select id, deal_id, case when n = 1 then created_at else created_at + (final_at - created_at) * ((rn - 1)::float8 / (n - 1)) end as at
      from h
  ), lagged as (
    select id, at, at - lag(at) over (partition by deal_id order by id) as prev
      from timed
  )
  update public.deal_stage_history dh set changed_at = l.at, time_in_previous_stage = case when dh.from_stage_id is null then null else l.prev end
    from lagged l where l.id = dh.id;
  alter table public.deal_stage_history enable trigger deal_stage_history_append_only;

  update public.deals d
     set stage_entered_at = x.last_at,
         closed_at = case when st.kind <> 'open' then x.last_at end
    from seed_deal_times st,
         lateral (select max(changed_at) as last_at from public.deal_stage_history h where h.deal_id = st.id) x
   where d.id = st.id;

  -- Bad input on purpose: a won deal without value, one in Swiss francs, one whose contact was deleted.
  update public.deals set value = null
   where id = (select d.id from public.deals d join public.pipeline_stages s on s.id = d.stage_id
                where d.tenant_id = t and s.kind = 'won' order by d.id limit 1);
  update public.deals set currency = 'CHF'
   where id = (select d.id from public.deals d join public.pipeline_stages s on s.id = d.stage_id
                where d.tenant_id = t and s.kind = 'won' order by d.id offset 1 limit 1);
  update public.contacts set deleted_at = now() - interval '3 days'
   where id = (select d.contact_id from public.deals d join public.pipeline_stages s on s.id = d.stage_id
                where d.tenant_id = t and s.kind = 'won' order by d.id offset 2 limit 1);

  -- Wins as move_deal records them, now that their dates moved back: the
  -- revenue (the value; none for the deal without value) dated the day of the
  -- win. The three latest sales were negotiated: signed 4 % under the asking
  -- price, two days before the agent moved the card (won_amount ≠ value,
  -- won_on ≠ closed_at's day; reports count the revenue on won_on).
  update public.deals d set won_amount = d.value, won_on = (d.closed_at at time zone 'Europe/Paris')::date
    from public.pipeline_stages s
   where s.id = d.stage_id and s.kind = 'won' and d.tenant_id = t;
  update public.deals d set won_amount = round(d.value * 0.96, -3), won_on = (d.closed_at at time zone 'Europe/Paris')::date - 2
   where d.id in (select d2.id from public.deals d2 join public.pipeline_stages s on s.id = d2.stage_id
                   where d2.tenant_id = t and s.kind = 'won' and d2.currency = 'EUR' and d2.value >= 100000
                   order by d2.closed_at desc limit 3);

  -- ---------------------------------------------------------------- sequences
  insert into public.sequences (id, tenant_id, name, status, audience, prospect_base_id, owner_id, created_by, created_at) values
    ('5e900000-0000-4000-8000-000000000001', t, 'Estimation offerte – Neuilly', 'active', 'base', 'ba5e0000-0000-4000-8000-000000000001',
     'a1e7d0e0-0000-4000-8000-000000000002', 'a1e7d0e0-0000-4000-8000-000000000002', now() - interval '90 days'),
    ('5e900000-0000-4000-8000-000000000002', t, 'Relance propriétaires Levallois', 'active', 'base', 'ba5e0000-0000-4000-8000-000000000002',
     'a1e7d0e0-0000-4000-8000-000000000003', 'a1e7d0e0-0000-4000-8000-000000000003', now() - interval '90 days'),
    ('5e900000-0000-4000-8000-000000000003', t, 'Investisseurs – opportunités 8e', 'active', 'base', 'ba5e0000-0000-4000-8000-000000000003',
     'a1e7d0e0-0000-4000-8000-000000000004', 'a1e7d0e0-0000-4000-8000-000000000004', now() - interval '90 days');

  insert into public.sequence_steps (id, tenant_id, sequence_id, version, position, day_offset, channel, variants)
  select ('5e9a0000-0000-4000-8000-0000000000' || q || p)::uuid, t, ('5e900000-0000-4000-8000-00000000000' || q)::uuid, 1, p,
         case p when 1 then 0 when 2 then 3 else 7 end,
         case when p = 3 then 'sms' else 'email' end::public.send_channel,
         case p
           when 1 then jsonb_build_array(
             jsonb_build_object('key', 'A', 'subject', (array['Votre bien à Neuilly vaut peut-être plus que vous ne pensez', 'Levallois : les prix de votre rue ce trimestre', 'Une opportunité rare dans le 8e'])[q],
                                'body', 'Bonjour {{firstName}}, …'),
             jsonb_build_object('key', 'B', 'subject', (array['Estimation offerte de votre appartement', '{{firstName}}, une estimation en 48 h ?', 'Rendement locatif : nos dernières ventes'])[q],
                                'body', 'Bonjour {{firstName}}, …'))
           when 2 then jsonb_build_array(jsonb_build_object('key', 'A', 'subject', 'Petit rappel : votre estimation offerte', 'body', 'Bonjour {{firstName}}, …'))
           else jsonb_build_array(jsonb_build_object('key', 'A', 'body', 'Étoile Immobilier : estimation offerte cette semaine. Répondez OUI. STOP au 36111'))
         end
    from generate_series(1, 3) q, generate_series(1, 3) p;

  -- ---------------------------------------------------------------- enrolments
  -- Each sequence's base, plus the contacts of most deals (so won deals carry
  -- real touches before they closed).
  create temp table seed_enrol on commit drop as
  with pool as (
    select distinct on (m.contact_id) m.contact_id,
           case m.prospect_base_id when 'ba5e0000-0000-4000-8000-000000000001' then 1
                                   when 'ba5e0000-0000-4000-8000-000000000002' then 2 else 3 end as q,
           null::timestamptz as close_at
      from public.prospect_base_members m join public.contacts c on c.id = m.contact_id
     where m.tenant_id = t and c.deleted_at is null and pg_temp.h(hashtext(m.contact_id::text), 'enrol') % 10 < 7
     order by m.contact_id, m.prospect_base_id
  ), deal_contacts as (
    select distinct on (d.contact_id) d.contact_id, 1 + pg_temp.h(hashtext(d.contact_id::text), 'dq') % 3 as q,
           case when st.kind <> 'open' then st.final_at end as close_at
      from public.deals d join seed_deal_times st on st.id = d.id
     where d.tenant_id = t and d.contact_id is not null and pg_temp.h(hashtext(d.id::text), 'touched') % 10 < 7
     order by d.contact_id, st.final_at
  )
  select row_number() over (order by contact_id) as i, contact_id, q, close_at,
         case when close_at is not null
              then greatest(now() - interval '84 days', close_at - make_interval(days => 12 + pg_temp.h(hashtext(contact_id::text), 'lead') % 30))
              else now() - make_interval(days => pg_temp.h(hashtext(contact_id::text), 'start') % 84) end as start_at
    from (select * from deal_contacts
          union all
          select * from pool p where not exists (select 1 from deal_contacts dc where dc.contact_id = p.contact_id)) x;

  insert into public.sequence_enrolments (id, tenant_id, sequence_id, sequence_version, contact_id, status, current_position, enrolled_at, ended_at, exit_reason, created_by)
  select ('e9001000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, t, ('5e900000-0000-4000-8000-00000000000' || q)::uuid, 1, contact_id,
         'completed', 4, start_at, start_at + interval '8 days', null, 'a1e7d0e0-0000-4000-8000-000000000001'
    from seed_enrol;

  -- ---------------------------------------------------------------- sends
  -- Working hours Monday–Saturday, Paris time; a few failures.
  create temp table seed_sends on commit drop as
  select e.i, p, ('e9002000-0000-4000-8000-' || lpad(to_hex(e.i * 4 + p), 12, '0'))::uuid as id,
         ('e9001000-0000-4000-8000-' || lpad(to_hex(e.i), 12, '0'))::uuid as enrolment_id,
         ('5e9a0000-0000-4000-8000-0000000000' || e.q || p)::uuid as step_id,
         ('5e900000-0000-4000-8000-00000000000' || e.q)::uuid as sequence_id,
         e.contact_id, c.email, c.phone,
         case when p = 3 then 'sms' else 'email' end::public.send_channel as channel,
         case when p = 1 then (array['A', 'B'])[1 + pg_temp.h(e.i, 'ab') % 2] else 'A' end as variant,
         x.at,
         case when pg_temp.h(e.i * 4 + p, 'fail') % 40 = 0 then 'failed' else 'delivered' end::public.send_status as status
    from seed_enrol e
    join public.contacts c on c.id = e.contact_id
    cross join generate_series(1, 3) p
    cross join lateral (
      select ((date_trunc('day', (e.start_at + make_interval(days => case p when 1 then 0 when 2 then 3 else 7 end)) at time zone 'Europe/Paris')
               + make_interval(hours => (array[8, 9, 9, 10, 11, 12, 14, 16, 17, 18, 19])[1 + pg_temp.h(e.i * 4 + p, 'hr') % 11],
                               mins => pg_temp.h(e.i * 4 + p, 'mn') % 60)) at time zone 'Europe/Paris') as at0
    ) y
    cross join lateral (
      -- Sundays move to Monday.
      select case when extract(isodow from y.at0 at time zone 'Europe/Paris') = 7 then y.at0 + interval '1 day' else y.at0 end as at
    ) x
   where x.at < now() - interval '1 hour'
     and (e.close_at is null or x.at < e.close_at)
     and ((p = 3 and c.phone is not null) or (p <> 3 and c.email is not null));

  insert into public.message_sends (id, tenant_id, enrolment_id, step_id, sequence_id, contact_id, channel, idempotency_key, variant,
                                    to_address, subject, status, attempts, provider, provider_message_id, segments, queued_at, sending_at, sent_at, finished_at, created_at)
  select s.id, t, s.enrolment_id, s.step_id, s.sequence_id, s.contact_id, s.channel, s.enrolment_id || ':' || s.step_id, s.variant,
         case when s.channel = 'sms' then s.phone else s.email end,
         case when s.channel = 'email' then (select v ->> 'subject' from public.sequence_steps st, jsonb_array_elements(st.variants) v
                                              where st.id = s.step_id and v ->> 'key' = s.variant) end,
         s.status, 1, case when s.channel = 'sms' then 'twilio' else 'brevo' end,
         case when s.status <> 'failed' then 'seed-' || s.id end,
         case when s.channel = 'sms' then 1 end,
         s.at - interval '2 minutes', s.at - interval '1 minute',
         case when s.status <> 'failed' then s.at end, s.at, s.at - interval '2 minutes'
    from seed_sends s;

  -- ---------------------------------------------------------------- engagement
  -- Opens are likelier early morning and early evening; replies follow opens.
  insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at)
  select t, s.id, s.contact_id, ev.type::public.message_event_type, case when s.channel = 'sms' then 'twilio' else 'brevo' end,
         'seed-' || s.id || '-' || ev.type || '-' || ev.k, least(now() - interval '1 minute', s.at + ev.after)
    from seed_sends s
    cross join lateral (select extract(hour from s.at at time zone 'Europe/Paris')::int as hr, pg_temp.h(s.i * 4 + s.p, 'eng') % 1000 as r) z
    cross join lateral (
      values ('delivered', 1, interval '40 seconds', s.status <> 'failed' and z.r >= 30),
             ('bounced', 1, interval '2 minutes', s.status <> 'failed' and z.r < 30),
             ('opened', 1, make_interval(mins => 5 + pg_temp.h(s.i, 'o') % 600), s.channel = 'email' and z.r >= 30
                and z.r < case when z.hr in (8, 9, 18, 19) then 560 else 420 end),
             ('opened', 2, make_interval(hours => 20 + pg_temp.h(s.i, 'o2') % 30), s.channel = 'email' and z.r >= 30 and z.r < 200),
             ('clicked', 1, make_interval(mins => 12 + pg_temp.h(s.i, 'c') % 600), s.channel = 'email' and z.r >= 30 and z.r < 150),
             ('replied', 1, make_interval(hours => 1 + pg_temp.h(s.i, 'r') % 40), z.r >= 30
                and z.r < case when s.channel = 'sms' then 110 when s.variant = 'B' then 105 else 80 end),
             ('unsubscribed', 1, make_interval(hours => 2 + pg_temp.h(s.i, 'u') % 20), z.r >= 985)
    ) ev(type, k, after, happens)
   where ev.happens and s.at + ev.after < now();

  -- Privacy-proxy opens (Apple Mail Privacy Protection fetches the pixel
  -- minutes after delivery), recorded as the track function does: flagged
  -- `bot`, never counted as an open.
  insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at, payload)
  select t, s.id, s.contact_id, 'opened', 'brevo', 'seed-' || s.id || '-opened-bot', s.at + interval '3 minutes',
         '{"bot": true, "proxy": "apple_mpp", "why": "privacy_proxy", "indicative": true}'
    from seed_sends s
   where s.channel = 'email' and s.status <> 'failed' and pg_temp.h(s.i * 4 + s.p, 'mpp') % 100 < 12
     and s.at + interval '3 minutes' < now();

  -- Qualification and appointments after replies, as the inbox would record them.
  insert into public.events (tenant_id, type, subject_type, subject_id, payload, actor_id, occurred_at)
  select t, k.type, 'contact', r.contact_id, '{}', 'a1e7d0e0-0000-4000-8000-000000000002', r.at + k.after
    from (select s.contact_id, min(s.at) as at, min(s.i) as i
            from seed_sends s
            join public.message_events e on e.send_id = s.id and e.type = 'replied'
           group by s.contact_id) r
    cross join lateral (values ('lead.qualified', interval '1 day', pg_temp.h(r.i, 'q') % 10 < 6),
                               ('appointment.booked', interval '3 days', pg_temp.h(r.i, 'q') % 10 < 3)) k(type, after, happens)
   where k.happens and r.at + k.after < now();

  -- ---------------------------------------------------------------- AI usage
  insert into public.ai_usage (tenant_id, user_id, task, model, prompt_tokens, completion_tokens, cost_eur, latency_ms, outcome, created_at)
  select t, ('a1e7d0e0-0000-4000-8000-00000000000' || (1 + i % 4))::uuid,
         (array['message.generate', 'message.generate', 'message.rewrite', 'reply.suggest'])[1 + i % 4], 'gpt-4o-mini',
         600 + pg_temp.h(i, 'pt') % 900, 150 + pg_temp.h(i, 'ct') % 400, round((0.0009 + (pg_temp.h(i, 'cost') % 100) / 10000.0)::numeric, 6),
         700 + pg_temp.h(i, 'lat') % 2000, 'ok', now() - make_interval(days => pg_temp.h(i, 'day') % 84, hours => pg_temp.h(i, 'h') % 10)
    from generate_series(1, 420) i;

  -- ---------------------------------------------------------------- today
  insert into public.activities (tenant_id, kind, contact_id, subject, due_date, day_period, assigned_to, created_by, occurred_at, created_at)
  select t, 'task', ('c0ffee00-0000-4000-8000-' || lpad(to_hex(k), 12, '0'))::uuid, subj, due, per::public.day_period,
         'a1e7d0e0-0000-4000-8000-000000000001', 'a1e7d0e0-0000-4000-8000-000000000001', now() - interval '2 days', now() - interval '2 days'
    from (values (11, 'Rappeler pour l''estimation à Neuilly', (now() at time zone 'Europe/Paris')::date, 'morning'),
                 (23, 'Préparer le mandat exclusif', (now() at time zone 'Europe/Paris')::date, 'afternoon'),
                 (37, 'Relancer l''offre rue de Courcelles', (now() at time zone 'Europe/Paris')::date, 'evening'),
                 (52, 'Envoyer l''avis de valeur', (now() at time zone 'Europe/Paris')::date - 2, 'morning')) v(k, subj, due, per);

  perform private.analytics_rebuild(t);
end $$;
