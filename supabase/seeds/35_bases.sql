-- Bases, segments and scoring demo data for "Agence Étoile Immobilier" (and
-- Cabinet Rive Gauche): scoring weights, every contact scored now (no wait
-- for the minute tick), a few engagement events that make some contacts hot,
-- and saved segments. Deterministic: contacts picked by their seed ids.

select set_config('request.jwt.claims', '{"sub":"a1e7d0e0-0000-4000-8000-000000000001","role":"authenticated"}', false);

insert into public.tenant_scoring_settings (tenant_id, weight_fit, weight_engagement, weight_timing, hot_threshold, warm_threshold) values
  ('e7011e00-0000-4000-8000-000000000001', 40, 40, 20, 60, 35)
on conflict (tenant_id) do nothing;

-- Replies, clicks and form submissions from 40 contacts over the last weeks.
insert into public.events (tenant_id, type, subject_type, subject_id, payload, actor_id, occurred_at)
select 'e7011e00-0000-4000-8000-000000000001', k.type, 'contact',
       ('c0ffee00-0000-4000-8000-' || lpad(to_hex(i * 47 % 2000 + 1), 12, '0'))::uuid,
       '{}', null, now() - make_interval(days => i % 25, hours => i % 7)
  from generate_series(1, 40) i
  cross join lateral (select (array['message.replied', 'message.clicked', 'form.submitted', 'message.opened'])[1 + i % 4] as type) k;

select private.refresh_contact_scores(t.id) from public.tenants t where t.slug in ('etoile-immobilier', 'rive-gauche');

insert into public.segments (id, tenant_id, name, description, filters, created_by) values
  ('5e650000-0000-4000-8000-000000000001', 'e7011e00-0000-4000-8000-000000000001', 'Contacts chauds', 'Score chaud, joignables par e-mail',
   '[{"field": "label", "op": "eq", "value": "hot"}, {"field": "has_email", "op": "is_true"}]', 'a1e7d0e0-0000-4000-8000-000000000001'),
  ('5e650000-0000-4000-8000-000000000002', 'e7011e00-0000-4000-8000-000000000001', 'Neuilly sans activité récente', 'À relancer',
   '[{"field": "city", "op": "eq", "value": "Neuilly-sur-Seine"}, {"field": "last_activity_at", "op": "older_than_days", "value": 60}]', 'a1e7d0e0-0000-4000-8000-000000000001'),
  ('5e650000-0000-4000-8000-000000000003', 'e7011e00-0000-4000-8000-000000000001', 'Entreprises du 8e', 'Sociétés et SCI',
   '[{"field": "kind", "op": "eq", "value": "company"}, {"field": "postal_code", "op": "eq", "value": "75008"}]', 'a1e7d0e0-0000-4000-8000-000000000001')
on conflict do nothing;

select set_config('request.jwt.claims', '', false);
