-- Score refreshes lock rows in one order (contact id), and a per-tenant
-- advisory lock keeps the minute tick, full recomputes and the events trigger
-- from deadlocking: a full recompute waits for it; the tick and the events
-- trigger only try it — the tick skips the tenant, the trigger queues its
-- contacts for the next tick instead of recomputing them in place.

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
    -- a full recompute: the tick leaves this tenant alone meanwhile
    perform pg_advisory_xact_lock(hashtextextended('scoring:' || p_tenant_id::text, 0));
    select array_agg(c.id order by c.id) into ids from public.contacts c where c.tenant_id = p_tenant_id and c.deleted_at is null;
  end if;
  if ids is null or cardinality(ids) = 0 then
    return 0;
  end if;
  insert into public.contact_scores as cs (tenant_id, contact_id, score, fit, engagement, timing, label, breakdown, next_action, computed_at)
  select p_tenant_id, s.contact_id, s.score, s.fit, s.engagement, s.timing, s.label, s.breakdown, s.next_action, now()
    from private.compute_contact_scores(p_tenant_id, ids) s
   order by s.contact_id
  on conflict (tenant_id, contact_id) do update
     set score = excluded.score, fit = excluded.fit, engagement = excluded.engagement, timing = excluded.timing,
         label = excluded.label, breakdown = excluded.breakdown, next_action = excluded.next_action, computed_at = excluded.computed_at;
  get diagnostics n = row_count;
  delete from private.contact_score_queue q
   using (select x.tenant_id, x.contact_id from private.contact_score_queue x
           where x.tenant_id = p_tenant_id and x.contact_id = any (ids)
           order by x.contact_id for update) l
   where q.tenant_id = l.tenant_id and q.contact_id = l.contact_id;
  return n;
end;
$$;

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
    select q.tenant_id, array_agg(q.contact_id order by q.contact_id) as ids
      from (select tenant_id, contact_id from private.contact_score_queue order by queued_at limit p_limit) q
     group by q.tenant_id
  loop
    if pg_try_advisory_xact_lock(hashtextextended('scoring:' || r.tenant_id::text, 0)) then
      done := done + private.refresh_contact_scores(r.tenant_id, r.ids);
    end if;
  end loop;
  if done < p_limit then
    for r in
      select s.tenant_id, array_agg(s.contact_id order by s.contact_id) as ids
        from (select tenant_id, contact_id from public.contact_scores
               where computed_at < now() - interval '1 day' order by computed_at limit p_limit - done) s
       group by s.tenant_id
    loop
      if pg_try_advisory_xact_lock(hashtextextended('scoring:' || r.tenant_id::text, 0)) then
        done := done + private.refresh_contact_scores(r.tenant_id, r.ids);
      end if;
    end loop;
  end if;
  return done;
end;
$$;

create or replace function private.events_refresh_scores()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  r record;
  ids uuid[];
begin
  for r in
    select n.tenant_id, array_agg(distinct n.subject_id) as ids
      from new_rows n
     where n.subject_type = 'contact' and n.subject_id is not null
       and n.type in ('message.opened', 'message.clicked', 'message.replied', 'form.submitted', 'appointment.booked')
     group by n.tenant_id
  loop
    ids := array(select c.id from public.contacts c where c.tenant_id = r.tenant_id and c.id = any (r.ids) order by c.id);
    if pg_try_advisory_xact_lock(hashtextextended('scoring:' || r.tenant_id::text, 0)) then
      perform private.refresh_contact_scores(r.tenant_id, ids);
    else
      insert into private.contact_score_queue (tenant_id, contact_id)
      select r.tenant_id, x from unnest(ids) x order by x
      on conflict do nothing;
    end if;
  end loop;
  return null;
end;
$$;

revoke all on function private.events_refresh_scores() from public, anon, authenticated;
revoke all on function private.refresh_contact_scores(uuid, uuid[]), private.run_scoring_tick(integer) from public, anon, authenticated;
grant execute on function private.refresh_contact_scores(uuid, uuid[]), private.run_scoring_tick(integer) to service_role;
