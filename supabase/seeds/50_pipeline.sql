-- Pipeline demo data for "Agence Étoile Immobilier", on top of the 320 deals of
-- seed.sql: loss reasons for the rental pipeline, tasks on deals for today (by
-- day period) and a few overdue ones for the "Aujourd'hui" view, notes on deals.
-- Deterministic: deals are picked by their seed ids, dates are relative to today
-- in Europe/Paris.

select set_config('request.jwt.claims', '{"sub":"a1e7d0e0-0000-4000-8000-000000000001","role":"authenticated"}', false);

update public.pipelines
   set loss_reasons = array['Honoraires jugés trop élevés', 'Mandat confié à la concurrence', 'Bien vendu par le propriétaire',
                            'Projet abandonné', 'Locataire en place']
 where id = '91be0000-0000-4000-8000-000000000002';

-- Tasks: the n-th open deal of the sales pipeline (by id), its owner as assignee.
with open_deals as (
  select d.id, d.contact_id, d.owner_id, row_number() over (order by d.id) as n
    from public.deals d join public.pipeline_stages s on s.id = d.stage_id
   where d.pipeline_id = '91be0000-0000-4000-8000-000000000001' and s.kind = 'open'
), plan (n, subject, days, period) as (values
  (1, 'Appeler pour caler la visite', 0, 'morning'),
  (2, 'Envoyer l''avis de valeur', 0, 'morning'),
  (3, 'Relancer après la contre-visite', 0, 'morning'),
  (4, 'Préparer le mandat exclusif', 0, 'afternoon'),
  (5, 'Point financement avec le courtier', 0, 'afternoon'),
  (6, 'Confirmer le rendez-vous chez le notaire', 0, 'afternoon'),
  (7, 'Rappeler le vendeur après son travail', 0, 'evening'),
  (8, 'Envoyer le compte rendu de visite', 0, 'evening'),
  (9, 'Vérifier les diagnostics', 0, null),
  (10, 'Relancer la contre-offre', -1, 'morning'),
  (11, 'Demander le titre de propriété', -3, 'afternoon'),
  (12, 'Appeler pour l''estimation', 2, 'morning'),
  (13, 'Organiser la deuxième visite', 5, 'afternoon')
)
insert into public.activities (tenant_id, kind, deal_id, contact_id, subject, due_date, day_period, assigned_to, created_by, occurred_at)
select 'e7011e00-0000-4000-8000-000000000001', 'task', o.id, o.contact_id, p.subject,
       (now() at time zone 'Europe/Paris')::date + p.days, p.period::public.day_period,
       -- Claire (the demo owner) gets a share so her "Aujourd'hui" is not empty.
       case when p.n % 3 = 0 then 'a1e7d0e0-0000-4000-8000-000000000001'::uuid else o.owner_id end,
       'a1e7d0e0-0000-4000-8000-000000000001', now() - interval '2 days'
  from plan p join open_deals o on o.n = p.n * 7;

-- Notes on the first open deals.
with open_deals as (
  select d.id, d.contact_id, d.owner_id, row_number() over (order by d.id) as n
    from public.deals d join public.pipeline_stages s on s.id = d.stage_id
   where d.pipeline_id = '91be0000-0000-4000-8000-000000000001' and s.kind = 'open'
)
insert into public.activities (tenant_id, kind, deal_id, contact_id, body, created_by, assigned_to, occurred_at)
select 'e7011e00-0000-4000-8000-000000000001', 'note', o.id, o.contact_id,
       (array['Les vendeurs souhaitent signer avant la rentrée scolaire.',
              'Acquéreurs primo-accédants, accord de principe de la banque obtenu.',
              'Bien à rafraîchir : prévoir une estimation des travaux.',
              'Le propriétaire hésite entre vente et mise en location.'])[1 + (o.n / 7)::int % 4],
       o.owner_id, o.owner_id, now() - make_interval(days => (o.n % 20)::int)
  from open_deals o where o.n % 7 = 0 and o.n <= 98;

select set_config('request.jwt.claims', '', false);
