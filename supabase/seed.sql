-- Demo data: "Agence Étoile Immobilier" (Paris 8e, Neuilly-sur-Seine,
-- Levallois-Perret) with its team, 2,000 contacts, a sales pipeline, deals,
-- six months of activities and events; and "Cabinet Rive Gauche", a small
-- second agency for isolation demos. Deterministic: every pseudo-random choice
-- is a hash of the row number, so each run builds the same agency.
-- Logins (password for all: ImmoDemo2026!) are listed in docs/security.md.

-- h(i, salt): a stable non-negative integer for row i.
create function pg_temp.h(i integer, salt text) returns integer
language sql immutable as $$
  select ('x' || substr(md5(salt || ':' || i), 1, 8))::bit(32)::int & 2147483647
$$;
create function pg_temp.pick(arr text[], i integer, salt text) returns text
language sql immutable as $$
  select arr[1 + pg_temp.h(i, salt) % array_length(arr, 1)]
$$;
-- The digits with their Luhn check digit appended.
create function pg_temp.luhn(digits text) returns text
language sql immutable as $$
  select digits || d from generate_series(0, 9) d where private.luhn_is_valid(digits || d) limit 1
$$;

-- ---------------------------------------------------------------- people
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, created_at, updated_at, last_sign_in_at)
select '00000000-0000-0000-0000-000000000000', id::uuid, 'authenticated', 'authenticated', email,
       extensions.crypt('ImmoDemo2026!', extensions.gen_salt('bf', 10)), now() - interval '200 days',
       '{"provider":"email","providers":["email"]}', jsonb_build_object('full_name', full_name),
       now() - interval '200 days', now() - interval '200 days', now() - interval '1 day'
from (values
  ('a1e7d0e0-0000-4000-8000-000000000001', 'demo@immo-ai.test', 'Claire Dubois'),
  ('a1e7d0e0-0000-4000-8000-000000000002', 'thomas.lefevre@immo-ai.test', 'Thomas Lefèvre'),
  ('a1e7d0e0-0000-4000-8000-000000000003', 'sophie.martin@immo-ai.test', 'Sophie Martin'),
  ('a1e7d0e0-0000-4000-8000-000000000004', 'julien.moreau@immo-ai.test', 'Julien Moreau'),
  ('a1e7d0e0-0000-4000-8000-000000000005', 'camille.bernard@immo-ai.test', 'Camille Bernard'),
  ('a1e7d0e0-0000-4000-8000-000000000006', 'rivegauche@immo-ai.test', 'Paul Girard')
) as u(id, email, full_name);

insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
select u.id::text, u.id, jsonb_build_object('sub', u.id::text, 'email', u.email, 'email_verified', true), 'email', u.created_at, u.created_at
from auth.users u where u.email like '%@immo-ai.test';

-- Everything below is written "by" the owner, as through the API.
select set_config('request.jwt.claims', '{"sub":"a1e7d0e0-0000-4000-8000-000000000001","role":"authenticated"}', false);

insert into public.tenants (id, slug, legal_name, display_name, siret, address_line, postal_code, city, specialisations,
                            property_types, geographic_zones, team_size, current_tools, logo_path, primary_color, plan, created_by)
values
  ('e7011e00-0000-4000-8000-000000000001', 'etoile-immobilier', 'Agence Étoile Immobilier SAS', 'Étoile Immobilier', '58213577835770',
   '42 rue du Faubourg Saint-Honoré', '75008', 'Paris', '{residential,luxury,rental}',
   '{appartement,maison,hotel_particulier,local_commercial}', '{"Paris 8e","Neuilly-sur-Seine","Levallois-Perret"}', 5,
   '{Hektor,"Google Workspace",SeLoger}', null, '#1d3557', 'pro',
   'a1e7d0e0-0000-4000-8000-000000000001'),
  ('e7011e00-0000-4000-8000-000000000002', 'rive-gauche', 'Cabinet Rive Gauche SARL', 'Rive Gauche', '61234987849875',
   '18 rue de Sèvres', '75006', 'Paris', '{residential}', '{appartement}', '{"Paris 6e","Paris 7e"}', 1,
   '{}', null, '#8d0801', 'starter', 'a1e7d0e0-0000-4000-8000-000000000006');

insert into public.tenant_members (tenant_id, user_id, role) values
  ('e7011e00-0000-4000-8000-000000000001', 'a1e7d0e0-0000-4000-8000-000000000001', 'owner'),
  ('e7011e00-0000-4000-8000-000000000001', 'a1e7d0e0-0000-4000-8000-000000000002', 'agent'),
  ('e7011e00-0000-4000-8000-000000000001', 'a1e7d0e0-0000-4000-8000-000000000003', 'agent'),
  ('e7011e00-0000-4000-8000-000000000001', 'a1e7d0e0-0000-4000-8000-000000000004', 'agent'),
  ('e7011e00-0000-4000-8000-000000000001', 'a1e7d0e0-0000-4000-8000-000000000005', 'assistant'),
  ('e7011e00-0000-4000-8000-000000000002', 'a1e7d0e0-0000-4000-8000-000000000006', 'owner');

-- ---------------------------------------------------------------- contacts
create temp table seed_contacts as
with base as (
  select i,
         pg_temp.h(i, 'kind') % 100 < 15 as is_company,
         pg_temp.pick('{Camille,Léa,Manon,Chloé,Inès,Louise,Jade,Emma,Alice,Juliette,Margaux,Clara,Charlotte,Élise,Hélène,Sophie,Isabelle,Catherine,Nathalie,Valérie,Anne,Marie,Françoise,Sylvie,Agnès,Lucas,Hugo,Louis,Gabriel,Arthur,Jules,Paul,Antoine,Maxime,Nicolas,Julien,Thomas,Pierre,Alexandre,François,Philippe,Olivier,Laurent,Christophe,Éric,Jean,Bertrand,Henri,Xavier,Benoît}', i, 'first') as first_name,
         pg_temp.pick('{Martin,Bernard,Dubois,Thomas,Robert,Richard,Petit,Durand,Leroy,Moreau,Simon,Laurent,Lefèvre,Michel,Garcia,David,Bertrand,Roux,Vincent,Fournier,Morel,Girard,André,Mercier,Dupont,Lambert,Bonnet,François,Martinez,Legrand,Garnier,Faure,Rousseau,Blanc,Guérin,Muller,Henry,Roussel,Nicolas,Perrin,Morin,Mathieu,Clément,Gauthier,Dumont,Lopez,Fontaine,Chevalier,Robin,Masson,de Villeneuve,de La Rochefoucauld,Castelnau,Delacroix,Beaumont}', i, 'last') as last_name,
         pg_temp.h(i, 'commune') % 3 as commune
    from generate_series(1, 2000) i
), placed as (
  select b.*,
         (array['75008', '92200', '92300'])[commune + 1] as postal_code,
         (array['Paris', 'Neuilly-sur-Seine', 'Levallois-Perret'])[commune + 1] as city,
         (1 + pg_temp.h(i, 'num') % 140)::text || case when pg_temp.h(i, 'bis') % 12 = 0 then ' bis ' else ' ' end ||
         case commune
           when 0 then pg_temp.pick('{"rue du Faubourg Saint-Honoré","avenue Montaigne","rue de la Boétie","boulevard Malesherbes","rue de Miromesnil","avenue de Friedland","rue d''Anjou","rue de Courcelles","avenue Hoche","rue de Penthièvre"}', i, 'street')
           when 1 then pg_temp.pick('{"avenue Charles de Gaulle","boulevard Bineau","rue de Chézy","avenue du Roule","boulevard Victor Hugo","rue Madeleine Michelis","boulevard Maurice Barrès","rue de l''Église","avenue de Madrid","rue Borghèse"}', i, 'street')
           else pg_temp.pick('{"rue Anatole France","rue Aristide Briand","rue Voltaire","rue Louise Michel","rue Rivay","rue Marius Aufan","rue Gabriel Péri","rue du Président Wilson","rue Jean Jaurès","place de la République"}', i, 'street')
         end as address_line
    from base b
)
select i, is_company, first_name, last_name, postal_code, city, address_line,
       case when is_company then
         pg_temp.pick('{"Cabinet","SCI","Holding","Conseil","Groupe","Maison"}', i, 'co1') || ' ' || last_name ||
         pg_temp.pick('{""," Patrimoine"," & Associés"," Immobilier"," Invest"}', i, 'co2')
       end as company_name,
       -- SIREN (8 digits + Luhn), NIC (4 digits) + Luhn over the 14
       case when is_company then pg_temp.luhn(pg_temp.luhn((30000000 + i * 30011)::text) || lpad((1 + pg_temp.h(i, 'nic') % 90)::text, 4, '0')) end as siret,
       -- 06/07 mobiles in libphonenumber's valid ranges; unique by i
       '+33' || case when pg_temp.h(i, 'mob') % 4 = 0 then '7' || (array['5','6','7','8'])[1 + i % 4] else '6' || (array['0','1','2','4','5','6','7','8'])[1 + i % 8] end
             || lpad((i * 7919 % 10000000)::text, 7, '0') as phone
  from placed;

-- E-mails: firstname.lastname@provider for people, contact@company.fr for
-- companies; a number is appended where two would collide.
alter table seed_contacts add column email text;
update seed_contacts s
   set email = case when x.n > 1 then replace(x.e, '@', x.k::text || '@') else x.e end
  from (
    select i, e, count(*) over (partition by e) as n, row_number() over (partition by e order by i) as k
      from (
        select i, lower(extensions.unaccent(
                 case when is_company then 'contact@' || replace(replace(company_name, ' & ', '-'), ' ', '-') || '.fr'
                      else replace(first_name, ' ', '') || '.' || replace(last_name, ' ', '') || '@' ||
                           pg_temp.pick('{gmail.com,orange.fr,free.fr,outlook.fr,yahoo.fr,laposte.net,sfr.fr,icloud.com}', i, 'dom') end)) as e
          from seed_contacts
      ) y
  ) x
 where x.i = s.i;

insert into public.contacts (id, tenant_id, kind, first_name, last_name, email, phone, company_name, job_title, siret, naf_code,
                             address_line, postal_code, city, source, tags, owner_id, lifecycle_stage,
                             email_consent, sms_consent, whatsapp_consent, phone_consent, do_not_contact, custom_fields,
                             created_at, last_activity_at)
select ('c0ffee00-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid,
       'e7011e00-0000-4000-8000-000000000001',
       case when is_company then 'company' else 'person' end::public.contact_kind,
       case when not is_company then first_name end,
       case when not is_company then last_name end,
       email,
       phone,
       company_name,
       case when is_company then pg_temp.pick('{Gérant,"Directrice administrative","Responsable patrimoine",Président}', i, 'job') end,
       siret,
       case when is_company then pg_temp.pick('{68.10Z,68.20A,68.20B,68.31Z,68.32A,69.20Z,70.22Z,64.20Z}', i, 'naf') end,
       address_line, postal_code, city,
       pg_temp.pick('{import,site_web,seloger,recommandation,boitage,salon,portail}', i, 'src'),
       (select coalesce(array_agg(t order by t), '{}') from unnest(array[
          case when pg_temp.h(i, 't1') % 3 = 0 then 'vendeur' end,
          case when pg_temp.h(i, 't2') % 3 = 0 then 'acquéreur' end,
          case when pg_temp.h(i, 't3') % 7 = 0 then 'investisseur' end,
          case when pg_temp.h(i, 't4') % 9 = 0 then 'bailleur' end]) t where t is not null),
       ('a1e7d0e0-0000-4000-8000-00000000000' || (1 + pg_temp.h(i, 'own') % 4))::uuid,
       pg_temp.pick('{prospect,prospect,prospect,lead,lead,qualified,client,former_client,lost}', i, 'stage')::public.lifecycle_stage,
       pg_temp.pick('{unknown,unknown,opt_in,opt_in,opt_out}', i, 'ce')::public.consent_status,
       pg_temp.pick('{unknown,unknown,opt_in,opt_out}', i, 'cs')::public.consent_status,
       pg_temp.pick('{unknown,unknown,unknown,opt_in}', i, 'cw')::public.consent_status,
       pg_temp.pick('{unknown,opt_in,opt_in,opt_out}', i, 'cp')::public.consent_status,
       pg_temp.h(i, 'dnc') % 50 = 0,
       case when pg_temp.h(i, 'bud') % 3 = 0
            then jsonb_build_object('budget_eur', 250000 + (pg_temp.h(i, 'b') % 60) * 50000, 'surface_m2', 30 + pg_temp.h(i, 's') % 220)
            else '{}'::jsonb end,
       now() - make_interval(days => 200 + pg_temp.h(i, 'created') % 500),
       now() - make_interval(days => 180 + pg_temp.h(i, 'created') % 100)
  from seed_contacts;

-- ---------------------------------------------------------------- prospect bases
insert into public.prospect_bases (id, tenant_id, name, description, source, owner_id) values
  ('ba5e0000-0000-4000-8000-000000000001', 'e7011e00-0000-4000-8000-000000000001', 'Import Neuilly 2026', 'Fichier propriétaires Neuilly-sur-Seine', 'import', 'a1e7d0e0-0000-4000-8000-000000000002'),
  ('ba5e0000-0000-4000-8000-000000000002', 'e7011e00-0000-4000-8000-000000000001', 'Farming Levallois', 'Secteur Anatole France – Rivay', 'boitage', 'a1e7d0e0-0000-4000-8000-000000000003'),
  ('ba5e0000-0000-4000-8000-000000000003', 'e7011e00-0000-4000-8000-000000000001', 'Investisseurs 8e', 'Sociétés et SCI du 8e arrondissement', 'import', 'a1e7d0e0-0000-4000-8000-000000000004');
insert into public.prospect_base_members (tenant_id, prospect_base_id, contact_id)
select c.tenant_id,
       case when c.city = 'Neuilly-sur-Seine' then 'ba5e0000-0000-4000-8000-000000000001'
            when c.city = 'Levallois-Perret' then 'ba5e0000-0000-4000-8000-000000000002'
            else 'ba5e0000-0000-4000-8000-000000000003' end::uuid,
       c.id
  from public.contacts c
 where c.tenant_id = 'e7011e00-0000-4000-8000-000000000001'
   and (c.city <> 'Paris' or c.kind = 'company')
   and pg_temp.h(hashtext(c.id::text), 'base') % 2 = 0;

-- ---------------------------------------------------------------- pipeline and deals
insert into public.pipelines (id, tenant_id, name, position, is_default) values
  ('91be0000-0000-4000-8000-000000000001', 'e7011e00-0000-4000-8000-000000000001', 'Transactions', 1, true),
  ('91be0000-0000-4000-8000-000000000002', 'e7011e00-0000-4000-8000-000000000001', 'Gestion locative', 2, false),
  ('91be0000-0000-4000-8000-000000000003', 'e7011e00-0000-4000-8000-000000000002', 'Ventes', 1, true);
insert into public.pipeline_stages (id, tenant_id, pipeline_id, name, position, probability, kind)
select ('57a9e000-0000-4000-8000-0000000000' || lpad(n::text, 2, '0'))::uuid, t::uuid, p::uuid, name, pos, prob, kind::public.stage_kind
from (values
  (1, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000001', 'Nouveau contact', 1, 10, 'open'),
  (2, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000001', 'Estimation', 2, 25, 'open'),
  (3, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000001', 'Mandat signé', 3, 40, 'open'),
  (4, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000001', 'Visites', 4, 55, 'open'),
  (5, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000001', 'Offre', 5, 70, 'open'),
  (6, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000001', 'Compromis', 6, 90, 'open'),
  (7, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000001', 'Acte signé', 7, 100, 'won'),
  (8, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000001', 'Perdu', 8, 0, 'lost'),
  (11, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000002', 'Demande', 1, 20, 'open'),
  (12, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000002', 'Mandat de gestion', 2, 60, 'open'),
  (13, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000002', 'Bail signé', 3, 100, 'won'),
  (14, 'e7011e00-0000-4000-8000-000000000001', '91be0000-0000-4000-8000-000000000002', 'Abandonné', 4, 0, 'lost'),
  (21, 'e7011e00-0000-4000-8000-000000000002', '91be0000-0000-4000-8000-000000000003', 'Nouveau', 1, 10, 'open'),
  (22, 'e7011e00-0000-4000-8000-000000000002', '91be0000-0000-4000-8000-000000000003', 'Vendu', 2, 100, 'won')
) as s(n, t, p, name, pos, prob, kind);

-- 320 deals; the stage is written as the deal moves, so history and events are real.
create temp table seed_deals as
select i,
       ('dea10000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid as id,
       ('c0ffee00-0000-4000-8000-' || lpad(to_hex(1 + pg_temp.h(i, 'dc') % 2000), 12, '0'))::uuid as contact_id,
       case when i <= 260 then '91be0000-0000-4000-8000-000000000001' else '91be0000-0000-4000-8000-000000000002' end::uuid as pipeline_id,
       case when i <= 260 then (array[1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7, 7, 8])[1 + pg_temp.h(i, 'st') % 13]
            else (array[11, 12, 12, 13, 14])[1 + pg_temp.h(i, 'st') % 5] end as stage_no,
       ('a1e7d0e0-0000-4000-8000-00000000000' || (2 + pg_temp.h(i, 'do') % 3))::uuid as owner_id
  from generate_series(1, 320) i;

insert into public.deals (id, tenant_id, pipeline_id, stage_id, contact_id, title, value, expected_close_date, owner_id, created_at, stage_entered_at)
select d.id, 'e7011e00-0000-4000-8000-000000000001', d.pipeline_id,
       case when d.i <= 260 then '57a9e000-0000-4000-8000-000000000001' else '57a9e000-0000-4000-8000-000000000011' end::uuid,
       d.contact_id,
       case when d.i <= 260
            then pg_temp.pick('{"Appartement 3 pièces","Appartement 5 pièces","Duplex avec terrasse","Hôtel particulier","Studio","Maison avec jardin","Local commercial","Loft"}', d.i, 'tt') || ' – ' || c.city
            else 'Gestion – ' || pg_temp.pick('{"2 pièces","Studio meublé","4 pièces familial","Bureau"}', d.i, 'tt') || ' ' || c.city end,
       case when d.i <= 260 then (180000 + pg_temp.h(d.i, 'val') % 3300000) / 1000 * 1000
            else (900 + pg_temp.h(d.i, 'val') % 4200) * 12 end,
       (current_date + (pg_temp.h(d.i, 'close') % 150) - 30),
       d.owner_id,
       now() - make_interval(days => 60 + pg_temp.h(d.i, 'dcr') % 120),
       now() - make_interval(days => 60 + pg_temp.h(d.i, 'dcr') % 120)
  from seed_deals d join public.contacts c on c.id = d.contact_id;

-- Move each deal forward stage by stage to where it stands today.
do $$
declare
  d record;
  s record;
begin
  for d in select * from seed_deals where stage_no not in (1, 11) order by i loop
    for s in select id, kind from public.pipeline_stages
              where pipeline_id = d.pipeline_id
                and position <= (select position from public.pipeline_stages where id = ('57a9e000-0000-4000-8000-0000000000' || lpad(d.stage_no::text, 2, '0'))::uuid)
                and position > 1 and (kind <> 'lost' or id = ('57a9e000-0000-4000-8000-0000000000' || lpad(d.stage_no::text, 2, '0'))::uuid)
                and (kind = 'open' or id = ('57a9e000-0000-4000-8000-0000000000' || lpad(d.stage_no::text, 2, '0'))::uuid)
              order by position loop
      update public.deals
         set stage_id = s.id,
             lost_reason = case when s.kind = 'lost' then (array['Prix trop élevé', 'Mandat confié à la concurrence', 'Projet abandonné', 'Financement refusé'])[1 + d.i % 4] end
       where id = d.id;
    end loop;
  end loop;
end $$;

-- ---------------------------------------------------------------- activities (last 6 months)
insert into public.activities (tenant_id, kind, contact_id, subject, body, due_date, day_period, done_at, assigned_to, created_by, occurred_at, created_at)
select 'e7011e00-0000-4000-8000-000000000001', k.kind::public.activity_kind,
       ('c0ffee00-0000-4000-8000-' || lpad(to_hex(1 + pg_temp.h(i, 'ac') % 2000), 12, '0'))::uuid,
       case k.kind
         when 'call' then pg_temp.pick('{"Appel de découverte","Relance estimation","Point sur le financement","Retour après visite"}', i, 'subj')
         when 'email' then pg_temp.pick('{"Envoi de l''avis de valeur","Nouvelles annonces correspondant à vos critères","Compte rendu de visite"}', i, 'subj')
         when 'meeting' then pg_temp.pick('{"Rendez-vous estimation","Visite de l''appartement","Signature du mandat"}', i, 'subj')
         when 'task' then pg_temp.pick('{"Préparer l''avis de valeur","Rappeler pour la contre-offre","Envoyer le dossier de diagnostic","Organiser la visite"}', i, 'subj')
         else pg_temp.pick('{"Souhaite vendre avant l''été","Recherche un 4 pièces avec balcon","Propriétaire d''un local à Levallois","Budget confirmé par la banque"}', i, 'subj')
       end,
       null,
       case when k.kind = 'task' then current_date + (pg_temp.h(i, 'due') % 40) - 20 end,
       case when k.kind = 'task' then pg_temp.pick('{morning,afternoon,evening}', i, 'per')::public.day_period end,
       case when k.kind = 'task' and pg_temp.h(i, 'due') % 40 - 20 > 0 then null
            else now() - make_interval(days => pg_temp.h(i, 'when') % 180, hours => pg_temp.h(i, 'hr') % 10) end,
       ('a1e7d0e0-0000-4000-8000-00000000000' || (2 + pg_temp.h(i, 'asg') % 4))::uuid,
       ('a1e7d0e0-0000-4000-8000-00000000000' || (2 + pg_temp.h(i, 'asg') % 4))::uuid,
       now() - make_interval(days => pg_temp.h(i, 'when') % 180, hours => pg_temp.h(i, 'hr') % 10),
       now() - make_interval(days => pg_temp.h(i, 'when') % 180, hours => pg_temp.h(i, 'hr') % 10)
  from generate_series(1, 3000) i
  cross join lateral (select pg_temp.pick('{note,call,call,call,email,email,task,task,meeting}', i, 'kind') as kind) k;

-- ---------------------------------------------------------------- events and notifications
insert into public.events (tenant_id, type, subject_type, subject_id, payload, actor_id, occurred_at)
select 'e7011e00-0000-4000-8000-000000000001', 'prospect.imported', 'prospect_base', b.id,
       jsonb_build_object('rows', (select count(*) from public.prospect_base_members m where m.prospect_base_id = b.id), 'file', lower(replace(b.name, ' ', '-')) || '.csv'),
       b.owner_id, now() - interval '170 days'
  from public.prospect_bases b where b.tenant_id = 'e7011e00-0000-4000-8000-000000000001';
insert into public.events (tenant_id, type, subject_type, subject_id, payload, actor_id, occurred_at)
select 'e7011e00-0000-4000-8000-000000000001', k.type, 'contact',
       ('c0ffee00-0000-4000-8000-' || lpad(to_hex(1 + pg_temp.h(i, 'ev') % 2000), 12, '0'))::uuid,
       '{}', ('a1e7d0e0-0000-4000-8000-00000000000' || (2 + pg_temp.h(i, 'ea') % 3))::uuid,
       now() - make_interval(days => pg_temp.h(i, 'ew') % 180, mins => pg_temp.h(i, 'em') % 600)
  from generate_series(1, 600) i
  cross join lateral (select pg_temp.pick('{message.sent,message.sent,message.sent,message.opened,message.opened,lead.qualified,appointment.booked}', i, 'et') as type) k;

insert into public.notifications (tenant_id, user_id, kind, title, body, link, created_at, read_at) values
  ('e7011e00-0000-4000-8000-000000000001', 'a1e7d0e0-0000-4000-8000-000000000001', 'deal.won', 'Vente signée', 'Thomas a signé l''acte d''un appartement à Neuilly-sur-Seine.', '/deals', now() - interval '2 days', null),
  ('e7011e00-0000-4000-8000-000000000001', 'a1e7d0e0-0000-4000-8000-000000000001', 'prospect.imported', 'Import terminé', 'Le fichier « Import Neuilly 2026 » a été importé.', '/prospect-bases', now() - interval '5 days', now() - interval '4 days'),
  ('e7011e00-0000-4000-8000-000000000001', 'a1e7d0e0-0000-4000-8000-000000000001', 'lead.qualified', 'Nouveau lead qualifié', 'Un prospect de Levallois-Perret souhaite une estimation.', '/contacts', now() - interval '3 hours', null);

-- ---------------------------------------------------------------- the second agency
select set_config('request.jwt.claims', '{"sub":"a1e7d0e0-0000-4000-8000-000000000006","role":"authenticated"}', false);
insert into public.contacts (tenant_id, first_name, last_name, email, phone, address_line, postal_code, city, owner_id, source)
select 'e7011e00-0000-4000-8000-000000000002', first_name, last_name,
       lower(extensions.unaccent(replace(first_name || '.' || last_name || i, ' ', ''))) || '@rivegauche-client.fr',
       '+3361' || lpad((i * 104729 % 10000000)::text, 7, '0'),
       (1 + i)::text || ' rue de Sèvres', '75006', 'Paris', 'a1e7d0e0-0000-4000-8000-000000000006', 'site_web'
  from seed_contacts where i <= 20;
insert into public.deals (tenant_id, pipeline_id, stage_id, contact_id, title, value, owner_id)
select 'e7011e00-0000-4000-8000-000000000002', '91be0000-0000-4000-8000-000000000003', '57a9e000-0000-4000-8000-000000000021',
       c.id, 'Appartement rue de Sèvres', 640000, 'a1e7d0e0-0000-4000-8000-000000000006'
  from public.contacts c where c.tenant_id = 'e7011e00-0000-4000-8000-000000000002' order by c.email limit 3;

select set_config('request.jwt.claims', '', false);
drop table seed_contacts, seed_deals;
