-- A/B winner selection for steps with 2–3 variants.
--
-- Variants are split evenly (hash of the enrolment, in the tick) until a
-- winner is set on the step; then the winner takes the remaining traffic.
-- private.decide_ab_winners(now) runs in every tick: for each undecided step
-- whose every variant has at least `sequences.ab_min_sample` sends (default
-- 100), it compares the best and second-best variant on the sequence's metric
-- (`reply`: sends answered; `click`: sends clicked by a person — bot clicks do
-- not count) with a two-sided two-proportion z-test (pooled variance). When
-- p < 0.05 the best variant wins; `winner_stats` stores the metric, every
-- variant's n / successes / rate, z, p, alpha and `decided_by = 'test'`, and
-- `winner_decided_at` the date. A user may override (or clear) the decision
-- with public.set_ab_winner; `decided_by = 'user'` then, and the automatic
-- test leaves that step alone.

-- Standard normal cumulative distribution (Zelen & Severo 26.2.17, |error| < 7.5e-8).
create or replace function private.normal_cdf(p_z double precision)
returns double precision
language plpgsql
immutable
strict
parallel safe
set search_path = ''
as $$
declare
  x double precision := abs(p_z);
  t double precision := 1 / (1 + 0.2316419 * x);
  d double precision := exp(-x * x / 2) / sqrt(2 * pi());
  p double precision;
begin
  p := 1 - d * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  return case when p_z >= 0 then p else 1 - p end;
end;
$$;

-- Two-proportion z-test: successes k1 of n1 against k2 of n2 (pooled), two-sided.
create or replace function private.two_proportion_z_test(k1 bigint, n1 bigint, k2 bigint, n2 bigint)
returns table (z double precision, p_value double precision)
language plpgsql
immutable
strict
parallel safe
set search_path = ''
as $$
declare
  p1 double precision;
  p2 double precision;
  p double precision;
  se double precision;
begin
  if n1 <= 0 or n2 <= 0 then
    return query select null::double precision, null::double precision;
    return;
  end if;
  p1 := k1::double precision / n1;
  p2 := k2::double precision / n2;
  p := (k1 + k2)::double precision / (n1 + n2);
  se := sqrt(p * (1 - p) * (1.0 / n1 + 1.0 / n2));
  if se = 0 then
    return query select 0::double precision, 1::double precision;
    return;
  end if;
  return query select (p1 - p2) / se, 2 * (1 - private.normal_cdf(abs((p1 - p2) / se)));
end;
$$;

-- Per variant of a step: sends that left (sent, delivered, or bounced after sending) and successes on the metric.
create or replace function private.ab_variant_stats(p_tenant_id uuid, p_step_id uuid, p_metric text)
returns table (variant text, sends bigint, successes bigint)
language sql
stable
security definer
set search_path = ''
as $$
  select ms.variant, count(*),
         count(*) filter (where exists (
           select 1 from public.message_events me
            where me.tenant_id = ms.tenant_id and me.send_id = ms.id
              and me.type = case when p_metric = 'click' then 'clicked'::public.message_event_type else 'replied'::public.message_event_type end
              and not coalesce((me.payload ->> 'bot')::boolean, false)))
    from public.message_sends ms
   where ms.tenant_id = p_tenant_id and ms.step_id = p_step_id and ms.variant is not null
     and (ms.status in ('sent', 'delivered') or (ms.status = 'failed' and ms.sent_at is not null))
   group by ms.variant
$$;

-- Decides the steps that can be decided. Returns how many got a winner.
create or replace function private.decide_ab_winners(p_now timestamptz default now(), p_alpha double precision default 0.05)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  st record;
  stats jsonb;
  best record;
  second record;
  test record;
  n integer := 0;
  keys text[];
  min_n bigint;
begin
  for st in
    select s.id, s.tenant_id, s.sequence_id, s.variants, sq.ab_min_sample, sq.ab_metric
      from public.sequence_steps s
      join public.sequences sq on sq.tenant_id = s.tenant_id and sq.id = s.sequence_id
     where s.winner_variant is null and jsonb_array_length(s.variants) >= 2 and sq.status in ('active', 'paused')
       and coalesce(s.winner_stats ->> 'decided_by', '') <> 'user'
       and exists (select 1 from public.message_sends ms where ms.tenant_id = s.tenant_id and ms.step_id = s.id)
  loop
    keys := array(select x ->> 'key' from jsonb_array_elements(st.variants) x);
    create temp table if not exists ab_stats (variant text, sends bigint, successes bigint) on commit drop;
    truncate ab_stats;
    insert into ab_stats select k, coalesce(v.sends, 0), coalesce(v.successes, 0)
      from unnest(keys) k left join private.ab_variant_stats(st.tenant_id, st.id, st.ab_metric) v on v.variant = k;
    select min(sends) into min_n from ab_stats;
    continue when min_n < st.ab_min_sample;
    select variant, sends, successes, successes::double precision / sends as rate into best
      from ab_stats order by successes::double precision / sends desc, variant limit 1;
    select variant, sends, successes, successes::double precision / sends as rate into second
      from ab_stats where variant <> best.variant order by successes::double precision / sends desc, variant limit 1;
    select * into test from private.two_proportion_z_test(best.successes, best.sends, second.successes, second.sends);
    stats := jsonb_build_object(
      'metric', st.ab_metric, 'alpha', p_alpha, 'min_sample', st.ab_min_sample,
      'z', round(test.z::numeric, 4), 'p_value', round(test.p_value::numeric, 6),
      'compared', jsonb_build_array(best.variant, second.variant),
      'variants', (select jsonb_object_agg(variant, jsonb_build_object('sends', sends, 'successes', successes,
                                           'rate', round(successes::numeric / sends, 4))) from ab_stats),
      'evaluated_at', p_now);
    if test.p_value < p_alpha then
      update public.sequence_steps
         set winner_variant = best.variant, winner_decided_at = p_now,
             winner_stats = stats || jsonb_build_object('decided_by', 'test', 'winner', best.variant)
       where id = st.id;
      perform private.emit_event(st.tenant_id, 'sequence.ab_decided', 'sequence', st.sequence_id,
        jsonb_build_object('step_id', st.id, 'winner', best.variant, 'p_value', round(test.p_value::numeric, 6), 'metric', st.ab_metric));
      n := n + 1;
    else
      -- Not significant yet: keep the latest numbers for the builder, keep splitting.
      update public.sequence_steps set winner_stats = stats || jsonb_build_object('decided_by', null) where id = st.id;
    end if;
  end loop;
  return n;
end;
$$;

-- A user's override: force a variant (or null to go back to the even split and
-- let nobody decide automatically again until another override clears it).
create or replace function public.set_ab_winner(p_step_id uuid, p_variant text)
returns public.sequence_steps
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  st public.sequence_steps;
begin
  select * into st from public.sequence_steps where id = p_step_id for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'step_not_found';
  end if;
  perform private.require_role(st.tenant_id, 'agent');
  if p_variant is not null and not exists (select 1 from jsonb_array_elements(st.variants) x where x ->> 'key' = p_variant) then
    raise exception using errcode = '22023', message = 'invalid_variant', detail = jsonb_build_object('field', 'variant')::text;
  end if;
  update public.sequence_steps
     set winner_variant = p_variant, winner_decided_at = now(),
         winner_stats = coalesce(winner_stats, '{}') || jsonb_build_object('decided_by', 'user', 'user_id', (select auth.uid()),
                                                                           'winner', p_variant, 'overridden_at', now())
   where id = st.id
  returning * into st;
  perform private.emit_event(st.tenant_id, 'sequence.ab_overridden', 'sequence', st.sequence_id,
    jsonb_build_object('step_id', st.id, 'winner', p_variant));
  return st;
end;
$$;

revoke all on function private.normal_cdf(double precision), private.two_proportion_z_test(bigint, bigint, bigint, bigint),
  private.ab_variant_stats(uuid, uuid, text), private.decide_ab_winners(timestamptz, double precision) from public, anon, authenticated;
grant execute on function private.normal_cdf(double precision), private.two_proportion_z_test(bigint, bigint, bigint, bigint),
  private.ab_variant_stats(uuid, uuid, text), private.decide_ab_winners(timestamptz, double precision) to service_role;
revoke all on function public.set_ab_winner(uuid, text) from public, anon;
grant execute on function public.set_ab_winner(uuid, text) to authenticated, service_role;
