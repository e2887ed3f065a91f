-- Demo sequences and inbox for "Agence Étoile Immobilier" (the running
-- sequences with twelve weeks of history come with 60_analytics.sql):
--   • a draft to open in the builder: 4 steps, an A/B first e-mail, an SMS to
--     those who did not open, a last e-mail without reply, then a call task;
--   • a paused sequence on the Neuilly base: people got the first e-mail
--     six days ago (delivered, opened, clicked, some replied), companies are
--     held because the template greets {{firstName}};
--   • inbox threads from those replies (e-mail and SMS), open, handled,
--     assigned to Claire, unread or read.
-- Deterministic (hashes of ids, times relative to now()); written as the
-- platform: the ledger and the threads are the engine's.

create function pg_temp.h40(s text, salt text) returns integer
language sql immutable as $$
  select ('x' || substr(md5(salt || ':' || s), 1, 8))::bit(32)::int & 2147483647
$$;

do $$
declare
  t constant uuid := 'e7011e00-0000-4000-8000-000000000001';
  claire constant uuid := 'a1e7d0e0-0000-4000-8000-000000000001';
  thomas constant uuid := 'a1e7d0e0-0000-4000-8000-000000000002';
  draft constant uuid := '5e900000-0000-4000-8000-000000000041';
  paused constant uuid := '5e900000-0000-4000-8000-000000000042';
begin
  insert into public.tenant_sending_settings (tenant_id, sender_name, sender_email, reply_to_email, sms_sender_id, legal_footer)
  values (t, 'Étoile Immobilier', 'contact@etoile-immobilier.fr', 'contact@etoile-immobilier.fr', 'ETOILE',
          'Agence Étoile Immobilier SAS — 42 rue du Faubourg Saint-Honoré, 75008 Paris — RCS Paris 582 135 778 — Carte T CPI 7501 2026 000 000 123')
  on conflict (tenant_id) do nothing;

  -- ---------------------------------------------------------------- the draft
  insert into public.sequences (id, tenant_id, name, status, audience, prospect_base_id, reevaluate_audience, owner_id, created_by, created_at, updated_at)
  values (draft, t, 'Farming Levallois – estimation de printemps', 'draft', 'base', 'ba5e0000-0000-4000-8000-000000000002', true,
          thomas, thomas, now() - interval '2 days', now() - interval '1 day');
  insert into public.sequence_steps (tenant_id, sequence_id, version, position, day_offset, channel, task_kind, condition, variants, window_days, window_start, window_end)
  values
    (t, draft, 1, 1, 0, 'email', null, 'always', jsonb_build_array(
       jsonb_build_object('key', 'A', 'subject', '{{firstName}}, combien vaut votre bien à {{city}} ce printemps ?',
         'body', e'Bonjour {{firstName}},\n\nLes prix ont bougé à {{city}} depuis l’hiver. Nous vous proposons une estimation offerte et sans engagement de votre bien, en 48 heures.\n\nSouhaitez-vous que l’un de nos conseillers passe cette semaine ?\n\nBien cordialement,\n{{agencyName}}'),
       jsonb_build_object('key', 'B', 'subject', 'Estimation offerte à {{city}} : réponse en 48 h',
         'body', e'Bonjour {{firstName}},\n\nTrois appartements de votre quartier ont été vendus ce trimestre. Voulez-vous savoir ce que vaut le vôtre ? L’estimation est offerte.\n\n{{agencyName}}')),
     null, null, null),
    (t, draft, 1, 2, 2, 'sms', null, 'not_opened', jsonb_build_array(
       jsonb_build_object('key', 'A', 'body', 'Bonjour {{firstName}}, {{agencyName}} vous offre l’estimation de votre bien à {{city}}. Répondez OUI pour être rappelé.')),
     '{2,3,4}', '10:00', '19:00'),
    (t, draft, 1, 3, 3, 'email', null, 'no_reply', jsonb_build_array(
       jsonb_build_object('key', 'A', 'subject', 'Dernière proposition avant l’été',
         'body', e'Bonjour {{firstName}},\n\nJe me permets une dernière relance : notre estimation offerte reste valable jusqu’à fin juin.\n\n{{agencyName}}')),
     null, null, null),
    (t, draft, 1, 4, 2, 'task', 'call', 'no_reply', jsonb_build_array(
       jsonb_build_object('key', 'A', 'body', 'Appeler pour proposer un rendez-vous d’estimation (consentement téléphonique requis pour les particuliers).')),
     null, null, null);

  -- ---------------------------------------------------------------- the paused sequence
  insert into public.sequences (id, tenant_id, name, status, audience, prospect_base_id, paused_reason, ab_metric, owner_id, created_by, created_at, updated_at)
  values (paused, t, 'Propriétaires Neuilly – avis de valeur', 'paused', 'base', 'ba5e0000-0000-4000-8000-000000000001', 'manual', 'reply',
          claire, claire, now() - interval '8 days', now() - interval '1 day');
  insert into public.sequence_steps (id, tenant_id, sequence_id, version, position, day_offset, channel, condition, variants)
  values
    ('5e9a0000-0000-4000-8000-000000004201', t, paused, 1, 1, 0, 'email', 'always', jsonb_build_array(
       jsonb_build_object('key', 'A', 'subject', 'Neuilly : ce que valent les appartements de votre rue',
         'body', e'Bonjour {{firstName}},\n\nNous avons vendu trois appartements boulevard Bineau ce trimestre, au-dessus des prix affichés. Souhaitez-vous un avis de valeur gratuit de votre bien ?\n\n{{agencyName}}'),
       jsonb_build_object('key', 'B', 'subject', '{{firstName}}, votre avis de valeur offert',
         'body', e'Bonjour {{firstName}},\n\nUn acquéreur recherche un appartement familial à Neuilly. Voulez-vous connaître la valeur du vôtre ? L’avis est offert et sans engagement.\n\n{{agencyName}}'))),
    ('5e9a0000-0000-4000-8000-000000004202', t, paused, 1, 2, 4, 'email', 'no_reply', jsonb_build_array(
       jsonb_build_object('key', 'A', 'subject', 'Votre avis de valeur est prêt', 'body', e'Bonjour {{firstName}},\n\nVotre avis de valeur peut être prêt sous 48 heures. Quel créneau vous convient pour une visite ?\n\n{{agencyName}}')));

  -- 40 contacts of the Neuilly base: people started six days ago; companies (no first name) are held.
  create temp table seed40 on commit drop as
  select row_number() over (order by c.id) as i, c.id as contact_id, c.first_name, c.email, c.phone, c.owner_id,
         pg_temp.h40(c.id::text, 'r') % 100 as r
    from public.prospect_base_members m join public.contacts c on c.tenant_id = m.tenant_id and c.id = m.contact_id
   where m.tenant_id = t and m.prospect_base_id = 'ba5e0000-0000-4000-8000-000000000001' and c.deleted_at is null and c.email is not null
   order by c.id
   limit 40;

  insert into public.sequence_enrolments (id, tenant_id, sequence_id, sequence_version, contact_id, status, current_position, next_due_at,
                                          held_reason, attempts, enrolled_at, last_step_at, created_by, created_at)
  select ('e9040000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, t, paused, 1, contact_id,
         case when first_name is null then 'held' else 'active' end::public.enrolment_status,
         case when first_name is null then 1 else 2 end,
         case when first_name is null then null else now() + interval '5 days' end,
         case when first_name is null then 'missing_variable:firstName' end,
         case when first_name is null then 0 else 1 end,
         now() - interval '6 days', case when first_name is null then null else now() - interval '6 days' end, claire, now() - interval '6 days'
    from seed40;

  insert into public.message_sends (id, tenant_id, enrolment_id, step_id, sequence_id, contact_id, channel, idempotency_key, variant, to_address,
                                    subject, body, status, attempts, provider, provider_message_id, queued_at, sending_at, sent_at, finished_at, created_at)
  select ('e9041000-0000-4000-8000-' || lpad(to_hex(s.i), 12, '0'))::uuid, t, ('e9040000-0000-4000-8000-' || lpad(to_hex(s.i), 12, '0'))::uuid,
         '5e9a0000-0000-4000-8000-000000004201', paused, s.contact_id, 'email',
         ('e9040000-0000-4000-8000-' || lpad(to_hex(s.i), 12, '0')) || ':5e9a0000-0000-4000-8000-000000004201',
         v.key, s.email, replace(v.subject, '{{firstName}}', s.first_name),
         replace(replace(v.body, '{{firstName}}', s.first_name), '{{agencyName}}', 'Étoile Immobilier'),
         case when s.r < 3 then 'failed' else 'delivered' end::public.send_status, 1, 'brevo', 'seed40-' || s.i,
         now() - interval '6 days' + make_interval(mins => s.i::int), now() - interval '6 days' + make_interval(mins => s.i::int),
         now() - interval '6 days' + make_interval(mins => s.i::int), now() - interval '6 days' + make_interval(mins => s.i::int + 1),
         now() - interval '6 days'
    from seed40 s
    cross join lateral (select x ->> 'key' as key, x ->> 'subject' as subject, x ->> 'body' as body
                          from public.sequence_steps st, jsonb_array_elements(st.variants) x
                         where st.id = '5e9a0000-0000-4000-8000-000000004201' and x ->> 'key' = case when s.i % 2 = 0 then 'A' else 'B' end) v
   where s.first_name is not null;

  insert into public.message_events (tenant_id, send_id, contact_id, type, provider, provider_event_id, occurred_at)
  select t, ms.id, ms.contact_id, ev.type::public.message_event_type, 'brevo', 'seed40-' || ms.id || '-' || ev.type, ms.sent_at + ev.after
    from public.message_sends ms join seed40 s on s.contact_id = ms.contact_id
    cross join lateral (values ('delivered', interval '1 minute', s.r >= 3),
                               ('bounced', interval '2 minutes', s.r < 3),
                               ('opened', interval '3 hours', s.r >= 3 and s.r < 62),
                               ('clicked', interval '4 hours', s.r >= 3 and s.r < 25),
                               ('replied', interval '1 day', s.r >= 3 and s.r < 20)) ev(type, after, happens)
   where ms.sequence_id = paused and ev.happens;

  -- Replied → out of the sequence (exit on reply); bounced → out too.
  update public.sequence_enrolments e
     set status = 'exited', exit_reason = case when s.r < 3 then 'bounced' else 'replied' end, next_due_at = null, ended_at = now() - interval '5 days'
    from seed40 s
   where e.sequence_id = paused and e.contact_id = s.contact_id and s.first_name is not null and s.r < 20;

  -- ---------------------------------------------------------------- inbox
  create temp table seed40_threads on commit drop as
  select row_number() over (order by s.i) as k, s.*, ms.id as send_id, ms.subject, ms.body, ms.sent_at,
         gen_random_uuid() as conversation_id
    from seed40 s join public.message_sends ms on ms.contact_id = s.contact_id and ms.sequence_id = paused
   where s.first_name is not null and s.r >= 3 and s.r < 20;

  insert into public.conversations (id, tenant_id, contact_id, channel, status, assigned_user_id, created_at)
  select conversation_id, t, contact_id, 'email', 'open', case when k % 3 = 1 then claire end, sent_at
    from seed40_threads;
  insert into public.conversation_messages (tenant_id, conversation_id, direction, channel, subject, body_text, body_html, send_id, created_at)
  select t, conversation_id, 'out', 'email', subject, body, private.text_to_html(body), send_id, sent_at
    from seed40_threads;
  insert into public.conversation_messages (tenant_id, conversation_id, direction, channel, subject, body_text, body_html, from_address,
                                            provider, provider_message_id, created_at)
  select t, conversation_id, 'in', 'email', 'RE: ' || subject, reply, private.text_to_html(reply), email, 'brevo', 'seed40-in-' || k,
         sent_at + interval '1 day' + make_interval(hours => k::int)
    from seed40_threads
    cross join lateral (select (array[
      e'Bonjour,\nOui, cela m’intéresse. Pouvez-vous passer samedi matin ?\nCordialement',
      e'Bonjour,\nNous pensons vendre l’an prochain. Quel est le prix au mètre carré dans notre rue ?',
      e'Merci pour votre message. Rappelez-moi plutôt en fin de semaine, après 18 h.',
      e'Bonjour,\nPas pour le moment, mais recontactez-moi à la rentrée.',
      e'Intéressé. Faut-il être présent pour l’estimation ?'])[1 + (k % 5)::int] as reply) x;
  -- Two threads already handled (read), the others wait for an answer.
  update public.conversations c set status = 'handled', unread_count = 0
    from seed40_threads th where c.id = th.conversation_id and th.k % 4 = 0;
  -- A thread read by Claire but not answered yet.
  update public.conversations c set unread_count = 0
    from seed40_threads th where c.id = th.conversation_id and th.k = 1;
end $$;
