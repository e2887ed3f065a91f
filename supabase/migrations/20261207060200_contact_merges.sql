-- Merging two contacts: one is kept, the other is soft-deleted and everything
-- that pointed at it (activities, deals, bases, enrolments, messages…) moves to
-- the kept one. contact_merges keeps the history: a snapshot of the merged
-- contact, the kept contact's values before the merge and what moved.

create table public.contact_merges (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  kept_contact_id uuid not null,
  merged_contact_id uuid not null,
  merged_snapshot jsonb not null,
  kept_before jsonb not null,
  moved jsonb not null default '{}',
  merged_by uuid default auth.uid(),
  merged_at timestamptz not null default now(),
  foreign key (tenant_id, kept_contact_id) references public.contacts (tenant_id, id) on delete cascade,
  constraint contact_merges_distinct check (kept_contact_id <> merged_contact_id)
);
create index contact_merges_kept_idx on public.contact_merges (tenant_id, kept_contact_id, merged_at desc);
create index contact_merges_merged_idx on public.contact_merges (tenant_id, merged_contact_id);

alter table public.contact_merges enable row level security;
revoke all on public.contact_merges from anon;
revoke insert, update, delete, truncate on public.contact_merges from authenticated;
grant select on public.contact_merges to authenticated;
grant all on public.contact_merges to service_role;
create policy contact_merges_select on public.contact_merges for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

-- p_fields: {"<column>": "merged"} takes that column from the merged contact;
-- otherwise the kept contact's value stays, and empty values are filled from the
-- merged one. Flags go the safe way: do-not-contact if either, opt-out if either.
create or replace function public.merge_contacts(p_keep_id uuid, p_merge_id uuid, p_fields jsonb default '{}')
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  k public.contacts;
  m public.contacts;
  fk record;
  moved jsonb := '{}';
  n integer;
  f text;
  v_fields text[] := array['first_name', 'last_name', 'email', 'phone', 'company_name', 'job_title', 'siren', 'siret',
                           'naf_code', 'address_line', 'postal_code', 'city', 'owner_id'];
  v_take_merged boolean;
  sets text := '';
begin
  if p_keep_id is null or p_merge_id is null or p_keep_id = p_merge_id then
    raise exception using errcode = '22023', message = 'merge_same_contact';
  end if;
  select * into k from public.contacts where id = p_keep_id;
  select * into m from public.contacts where id = p_merge_id;
  if k.id is null or m.id is null or k.tenant_id <> m.tenant_id then
    raise exception using errcode = 'P0002', message = 'contact_not_found';
  end if;
  perform private.require_role(k.tenant_id, 'agent');
  if k.deleted_at is not null or m.deleted_at is not null then
    raise exception using errcode = '22023', message = 'contact_deleted';
  end if;
  -- lock both, in id order
  perform 1 from public.contacts where tenant_id = k.tenant_id and id in (k.id, m.id) order by id for update;

  -- The merged contact leaves first, freeing its e-mail, phone and SIRET.
  update public.contacts set deleted_at = now(),
         custom_fields = custom_fields || jsonb_build_object('merged_into', k.id)
   where id = m.id;

  foreach f in array v_fields loop
    v_take_merged := coalesce(p_fields ->> f, '') = 'merged';
    sets := sets || format(', %1$I = case when %2$L::boolean then coalesce(m.%1$I, c.%1$I) else coalesce(c.%1$I, m.%1$I) end', f, v_take_merged);
  end loop;
  execute format($sql$
    update public.contacts c set
      tags = (select coalesce(array_agg(distinct t order by t), '{}') from unnest(c.tags || m.tags) t),
      custom_fields = (m.custom_fields - 'merged_into') || c.custom_fields,
      do_not_contact = c.do_not_contact or m.do_not_contact,
      email_consent = case when 'opt_out' in (c.email_consent, m.email_consent) then 'opt_out'
                           when c.email_consent = 'unknown' then m.email_consent else c.email_consent end,
      sms_consent = case when 'opt_out' in (c.sms_consent, m.sms_consent) then 'opt_out'
                         when c.sms_consent = 'unknown' then m.sms_consent else c.sms_consent end,
      whatsapp_consent = case when 'opt_out' in (c.whatsapp_consent, m.whatsapp_consent) then 'opt_out'
                              when c.whatsapp_consent = 'unknown' then m.whatsapp_consent else c.whatsapp_consent end,
      phone_consent = case when 'opt_out' in (c.phone_consent, m.phone_consent) then 'opt_out'
                           when c.phone_consent = 'unknown' then m.phone_consent else c.phone_consent end,
      last_activity_at = greatest(c.last_activity_at, m.last_activity_at) %s
      from public.contacts m
     where c.id = $1 and m.id = $2
  $sql$, sets) using k.id, m.id;

  -- Every table that references contacts by (tenant_id, contact column) follows.
  -- A row that would collide with one the kept contact already has (same base,
  -- same sequence) or that is append-only (consent evidence) stays with the
  -- merged contact, which remains readable in the history.
  for fk in
    select con.conrelid::regclass as tbl, a.attname as col
      from pg_constraint con
      join pg_attribute a on a.attrelid = con.conrelid and a.attnum = con.conkey[2]
     where con.contype = 'f' and con.confrelid = 'public.contacts'::regclass
       and array_length(con.conkey, 1) = 2
       and con.conrelid <> 'public.contact_merges'::regclass
  loop
    begin
      execute format('update %s set %I = $1 where tenant_id = $2 and %I = $3', fk.tbl, fk.col, fk.col) using k.id, k.tenant_id, m.id;
      get diagnostics n = row_count;
    exception when unique_violation or insufficient_privilege or check_violation then
      n := 0;
    end;
    if n > 0 then
      moved := moved || jsonb_build_object(fk.tbl::text, n);
    end if;
  end loop;

  insert into public.contact_merges (tenant_id, kept_contact_id, merged_contact_id, merged_snapshot, kept_before, moved, merged_by)
  values (k.tenant_id, k.id, m.id, to_jsonb(m) - 'search_text', to_jsonb(k) - 'search_text', moved, (select auth.uid()));
  perform private.emit_event(k.tenant_id, 'contact.merged', 'contact', k.id,
    jsonb_build_object('merged_contact_id', m.id, 'moved', moved));
  return k.id;
end;
$$;
revoke all on function public.merge_contacts(uuid, uuid, jsonb) from public, anon;
grant execute on function public.merge_contacts(uuid, uuid, jsonb) to authenticated, service_role;
