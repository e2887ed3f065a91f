-- Bases, generation, segments and scoring: explainable scores and their
-- updates, weights per tenant, segment filters (safe, RLS-bound, paginated),
-- credits and the unlock order, the platform cache reused across tenants
-- while each tenant's generation stays private, exclusions, rate limits,
-- watermarks.
begin;
\ir _helpers.psql
select tests.seed_two_tenants();
select plan(52);

-- ---------------------------------------------------------------- scoring
update public.tenants set geographic_zones = '{Neuilly-sur-Seine,"Paris 8e"}', postal_code = '75008', specialisations = '{residential}'
 where id = tests.tenant('a');
update public.contacts set city = 'Neuilly-sur-Seine', postal_code = '92200', last_activity_at = '2027-09-10 10:00+02'
 where id = 'c0000000-0000-4000-8000-0000000000a1';
update public.contacts set city = 'Lyon', postal_code = '69003', last_activity_at = '2027-01-01 10:00+01'
 where id = 'c0000000-0000-4000-8000-0000000000a2';

create temp table s1 as select * from private.compute_contact_scores(tests.tenant('a'), array['c0000000-0000-4000-8000-0000000000a1'::uuid], '2027-09-15 12:00+02');
select is((select fit from s1), 100::smallint, 'fit: in the zone, private person for a residential agency, reachable = 100');
select ok((select breakdown @> '[{"code": "zone_match", "points": 40, "params": {"zone": "Neuilly-sur-Seine"}}]' from s1), 'the breakdown names the matching zone');
select ok((select breakdown @> '[{"code": "peak_season"}]' from s1), 'September is a seasonal peak');
select is((select timing from s1), 80::smallint, 'timing: peak season 40 + activity within 14 days 40');
select is((select score from s1), 66::smallint, 'score = (100×50 + 0×30 + 80×20) / 100 with tenant A''s weights 50/30/20');
select is((select label::text from s1), 'warm', 'label: 66 is warm under the default thresholds');
select ok((select bool_and(x ? 'text' and length(x ->> 'text') > 5) from s1, jsonb_array_elements(breakdown) x), 'every reason carries a plain-French sentence');
select is((select next_action from s1), 'follow_up', 'next best action for a warm contact');

create temp table s2 as select * from private.compute_contact_scores(tests.tenant('a'), array['c0000000-0000-4000-8000-0000000000a2'::uuid], '2027-07-15 12:00+02');
select ok((select breakdown @> '[{"code": "outside_zone"}]' and breakdown @> '[{"code": "low_season"}]' from s2), 'Lyon is outside the zone; July is a low season');
select cmp_ok((select score from s2), '<', (select score from s1), 'the contact outside the zone in July scores lower');

-- an engagement event recomputes at once
insert into public.events (tenant_id, type, subject_type, subject_id) values
  (tests.tenant('a'), 'message.replied', 'contact', 'c0000000-0000-4000-8000-0000000000a1'),
  (tests.tenant('a'), 'message.opened', 'contact', 'c0000000-0000-4000-8000-0000000000a1');
select ok((select engagement >= 65 and breakdown @> '[{"code": "replied"}]' and breakdown @> '[{"code": "opened", "points": 5}]'
             from public.contact_scores where contact_id = 'c0000000-0000-4000-8000-0000000000a1'),
          'a reply and an open raise engagement in the same transaction (40 + 5 + recent 20)');

-- contact writes queue a recompute; the tick does it
update public.contacts set email = null, phone = null where id = 'c0000000-0000-4000-8000-0000000000a2';
select ok(exists (select 1 from private.contact_score_queue where contact_id = 'c0000000-0000-4000-8000-0000000000a2'), 'a contact change queues its score');
select cmp_ok(private.run_scoring_tick(1000000), '>=', 1, 'the tick recomputes queued contacts');
select is((select next_action from public.contact_scores where contact_id = 'c0000000-0000-4000-8000-0000000000a2'), 'enrich',
          'without e-mail or phone the next action is to enrich');

-- weights per tenant
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.rows_affected(format('update tenant_scoring_settings set weight_fit = 60, weight_engagement = 20 where tenant_id = %L', tests.tenant('a'))),
          0::bigint, 'an agent cannot change the weights');
select tests.authenticate_as(tests.uid('a_admin'));
select is(tests.error_of(format('update tenant_scoring_settings set weight_fit = 70 where tenant_id = %L', tests.tenant('a'))), '23514',
          'weights must add up to 100');
select is(tests.error_of(format('update tenant_scoring_settings set warm_threshold = 80, hot_threshold = 60 where tenant_id = %L', tests.tenant('a'))), '23514',
          'warm must stay under hot');
select is(tests.rows_affected(format('update tenant_scoring_settings set hot_threshold = 50 where tenant_id = %L', tests.tenant('a'))), 1::bigint,
          'an admin changes the thresholds');
select cmp_ok(recompute_scores(tests.tenant('a')), '>=', 3, 'recompute_scores rescores the tenant (admin)');
select is((select label::text from contact_scores where contact_id = 'c0000000-0000-4000-8000-0000000000a1'), 'hot', 'with hot ≥ 50 the engaged contact is hot');
select is((select count(*) from contact_score(tests.tenant('a'), 'c0000000-0000-4000-8000-0000000000a1')), 1::bigint, 'contact_score returns the row');
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of(format('select recompute_scores(%L)', tests.tenant('a'))), '42501', 'recompute_scores is for admins');
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of(format('select * from contact_score(%L, %L)', tests.tenant('a'), 'c0000000-0000-4000-8000-0000000000a1')), '42501',
          'another tenant cannot read a score through the RPC');
select is((select count(*) from contact_scores where tenant_id = tests.tenant('a')), 0::bigint, 'another tenant sees no score of A');

-- ---------------------------------------------------------------- segments
select tests.authenticate_as(tests.uid('a_agent'));
select is(segment_count(tests.tenant('a'), '[{"field": "city", "op": "eq", "value": "neuilly-sur-seine"}]'), 1::bigint, 'city filter (case-insensitive)');
select is(segment_count(tests.tenant('a'), '[{"field": "city", "op": "eq", "value": "x'' or 1=1 --"}]'), 0::bigint, 'values are data, never SQL');
select is(segment_count(tests.tenant('a'), '[{"field": "label", "op": "eq", "value": "hot"}, {"field": "score", "op": "gte", "value": 50}, {"field": "has_email", "op": "is_true"}]'),
          1::bigint, 'three filters: label, score and e-mail');
update contacts set tags = '{vendeur,neuilly}' where id = 'c0000000-0000-4000-8000-0000000000a1';
select is(segment_count(tests.tenant('a'), '[{"field": "tags", "op": "contains_any", "value": ["vendeur", "acheteur"]}]'), 1::bigint, 'tags filter');
select is(segment_count(tests.tenant('a'), '[{"field": "base", "op": "in", "value": ["ba000000-0000-4000-8000-0000000000a1"]}]'), 1::bigint, 'base membership filter');
select is(tests.error_of(format($$select segment_count(%L, '[{"field": "encrypted_password", "op": "eq", "value": "x"}]')$$, tests.tenant('a'))), '22023',
          'unknown fields are refused');
select is(tests.error_of(format($$select segment_count(%L, '[{"field": "score", "op": "contains", "value": "x"}]')$$, tests.tenant('a'))), '22023',
          'operators that do not fit the field are refused');
select is((select count(*) from segment_contacts(tests.tenant('a'), '[]', 'recent', null, 2)), 2::bigint, 'first page of 2');
select is((select count(*) from segment_contacts(tests.tenant('a'), '[]', 'recent',
             (select jsonb_build_object('last_activity_at', last_activity_at, 'id', id) from segment_contacts(tests.tenant('a'), '[]', 'recent', null, 2) offset 1), 2)),
          1::bigint, 'the keyset page after it holds the rest (3 contacts in A)');
select tests.authenticate_as(tests.uid('b_owner'));
select is(segment_count(tests.tenant('a'), '[]'), 0::bigint, 'a segment over another tenant counts nothing (RLS)');

-- bulk actions
select tests.authenticate_as(tests.uid('a_assistant'));
select is(bulk_contacts_action(tests.tenant('a'), array['c0000000-0000-4000-8000-0000000000a1', 'c0000000-0000-4000-8000-0000000000a2']::uuid[], 'add_tag', 'salon-2027'),
          2, 'bulk tag');
select is(bulk_contacts_action(tests.tenant('a'), array['c0000000-0000-4000-8000-0000000000a1']::uuid[], 'remove_from_base', 'ba000000-0000-4000-8000-0000000000a1'),
          0, 'an assistant cannot remove from a base (policy)');
select tests.authenticate_as(tests.uid('a_agent'));
select is(tests.error_of(format($$select bulk_contacts_action(%L, array[%L]::uuid[], 'assign_owner', %L)$$, tests.tenant('a'), 'c0000000-0000-4000-8000-0000000000a2', tests.uid('b_owner'))),
          '22023', 'the owner must be a member of the tenant');

-- ---------------------------------------------------------------- generation: credits and unlock order
select tests.clear_authentication();
update private.generation_plan_limits set monthly_credits = 2 where plan = 'trial';
select tests.authenticate_as(tests.uid('a_assistant'));
select is(tests.error_of($$select confirm_base_generation('9e000000-0000-4000-8000-0000000000a1')$$), '42501', 'an assistant cannot spend credits');
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of($$select base_generation_preview('9e000000-0000-4000-8000-0000000000a1')$$), 'P0002', 'another tenant cannot preview A''s generation');
select tests.authenticate_as(tests.uid('a_agent'));
select is((base_generation_preview('9e000000-0000-4000-8000-0000000000a1') ->> 'would_unlock')::int, 2, 'the preview says 2 of 3 will unlock with 2 credits');
create temp table conf as select confirm_base_generation('9e000000-0000-4000-8000-0000000000a1', 'Agences Paris A') as r;
select is(((select r from conf) ->> 'unlocked')::int, 2, 'confirm unlocks up to the credits');
select is(((select r from conf) ->> 'locked')::int, 1, 'the rest stays locked');
select is((select array_agg(rank order by rank) from base_generation_items where generation_id = '9e000000-0000-4000-8000-0000000000a1' and unlocked_at is not null),
          array[1, 2], 'items unlock in rank order');
select is((select count(*) from prospect_base_members where prospect_base_id = ((select r from conf) ->> 'prospect_base_id')::uuid), 3::bigint,
          'the base holds the unlocked contacts and one watermark record');
select tests.clear_authentication();
select is(private.unlock_renewed_credits(), 0, 'no credit left this month: nothing more unlocks');
update public.base_generation_items set unlocked_at = now() - interval '40 days' where generation_id = '9e000000-0000-4000-8000-0000000000a1' and unlocked_at is not null;
select is(private.unlock_renewed_credits(), 1, 'renewed credits unlock the locked rest');

-- ---------------------------------------------------------------- cache reuse, privacy, exclusions, limits
select tests.authenticate_as(tests.uid('b_owner'));
create temp table gb as select * from request_base_generation(tests.tenant('b'), 'Paris bis', '{68.31Z}', '{"departements": ["75"]}');
select ok((select cache_hit and status = 'ready' and total = 3 from gb), 'the same target for another tenant is served from the platform cache, ready at once');
select is(tests.error_of('select count(*) from private.company_establishments'), '42501', 'users cannot read the platform cache');
select tests.clear_authentication();
insert into private.company_opposition (siren) values ('880599618');
update private.company_establishments set diffusion = 'P' where siret = '39316477734896';
select tests.authenticate_as(tests.uid('b_owner'));
create temp table gb2 as select * from request_base_generation(tests.tenant('b'), 'Paris ter', '{68.31Z}', '{"departements": ["75"]}');
select ok((select total = 1 and excluded_count = 2 from gb2), 'opposition list and partial diffusion are excluded');
select is(tests.error_of(format($$select request_base_generation(%L, 'x', '{6831Z}', '{"departements": ["75"]}')$$, tests.tenant('b'))), '22023', 'a malformed NAF code is refused');
select is(tests.error_of(format($$select request_base_generation(%L, 'x', '{68.31Z}', '{}')$$, tests.tenant('b'))), '22023', 'an empty area is refused');
select tests.clear_authentication();
update private.generation_plan_limits set generations_per_hour = 3 where plan = 'trial';
select tests.authenticate_as(tests.uid('b_owner'));
select is(tests.error_of(format($$select request_base_generation(%L, 'x', '{68.31Z}', '{"departements": ["75"]}')$$, tests.tenant('b'))), '53400',
          'the plan''s hourly generation limit applies per tenant');
select tests.clear_authentication();

select * from finish();
rollback;
