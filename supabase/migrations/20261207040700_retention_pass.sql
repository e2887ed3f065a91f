-- The daily retention pass (20261207040400_retention.sql), corrected: its
-- record variable was named like the `contacts c` alias of its own queries,
-- which PL/pgSQL refuses as ambiguous at the first run. Same behaviour.

create or replace function private.run_retention(p_now timestamptz default now(), p_batch integer default 5000)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  n_flag integer;
  n_renewed integer;
  n_ask integer := 0;
  n_not integer := 0;
  n_anon integer := 0;
  r record;
  ct public.contacts;
  agency text;
  sid uuid;
begin
  -- 1. Flag (or re-flag a contact that renewed and went quiet again for 3 years).
  insert into public.contact_retention as cr (tenant_id, contact_id, flagged_at, inactive_since)
  select c.tenant_id, c.id, p_now, c.last_activity_at
    from public.contacts c
   where c.deleted_at is null and c.last_activity_at < p_now - interval '3 years'
     and not exists (select 1 from public.contact_retention x where x.tenant_id = c.tenant_id and x.contact_id = c.id
                      and x.renewal_status is distinct from 'renewed')
   order by c.last_activity_at
   limit p_batch
  on conflict (tenant_id, contact_id) do update
     set flagged_at = excluded.flagged_at, inactive_since = excluded.inactive_since, renewal_status = null,
         renewal_send_id = null, renewal_requested_at = null, renewed_at = null
   where cr.renewal_status = 'renewed' and cr.anonymised_at is null;
  get diagnostics n_flag = row_count;

  -- Interacted since being flagged: renewed.
  update public.contact_retention cr set renewal_status = 'renewed', renewed_at = c.last_activity_at
    from public.contacts c
   where c.tenant_id = cr.tenant_id and c.id = cr.contact_id and cr.anonymised_at is null
     and cr.renewal_status is distinct from 'renewed' and c.last_activity_at > cr.inactive_since;
  get diagnostics n_renewed = row_count;

  -- 2. Ask once, where allowed.
  for r in select cr.* from public.contact_retention cr
            where cr.renewal_status is null and cr.anonymised_at is null order by cr.flagged_at limit p_batch loop
    select * into ct from public.contacts where tenant_id = r.tenant_id and id = r.contact_id;
    if private.consent_block_reason(ct, 'email', null, p_now) is null then
      select coalesce(nullif(btrim(t.display_name), ''), t.legal_name) into agency from public.tenants t where t.id = r.tenant_id;
      insert into public.message_sends (tenant_id, contact_id, channel, idempotency_key, to_address, subject, body, company_key, status, queued_at)
      values (r.tenant_id, r.contact_id, 'email', 'renewal:' || r.contact_id || ':' || to_char(r.flagged_at, 'YYYYMMDD'), ct.email,
              'Souhaitez-vous rester en contact avec ' || agency || ' ?',
              'Bonjour,' || e'\n\n' || 'Nous ne nous sommes pas parlé depuis plus de trois ans. Pour continuer à recevoir les informations de '
              || agency || ', répondez simplement à ce message.' || e'\n\n'
              || 'Sans réponse de votre part sous 30 jours, vos données seront anonymisées et nous ne vous écrirons plus.',
              private.contact_company_key(ct), 'queued', p_now)
      on conflict do nothing
      returning id into sid;
      if sid is not null then
        perform pgmq.send('email', jsonb_build_object('type', 'send.email', 'sendId', sid));
      end if;
      update public.contact_retention set renewal_status = 'requested', renewal_requested_at = p_now, renewal_send_id = sid where id = r.id;
      n_ask := n_ask + 1;
    else
      update public.contact_retention set renewal_status = 'not_allowed' where id = r.id;
      n_not := n_not + 1;
    end if;
  end loop;

  -- 3. Anonymise those who did not answer.
  for r in select cr.* from public.contact_retention cr
             join public.contacts c on c.tenant_id = cr.tenant_id and c.id = cr.contact_id
            where cr.anonymised_at is null and c.last_activity_at <= cr.inactive_since
              and (cr.renewal_status = 'not_allowed' or (cr.renewal_status = 'requested' and cr.renewal_requested_at <= p_now - interval '30 days'))
            limit p_batch loop
    perform private.anonymise_contact(r.tenant_id, r.contact_id, p_now);
    n_anon := n_anon + 1;
  end loop;
  return jsonb_build_object('flagged', n_flag, 'renewed', n_renewed, 'asked', n_ask, 'not_allowed', n_not, 'anonymised', n_anon);
end;
$$;

revoke all on function private.run_retention(timestamptz, integer) from public, anon, authenticated;
grant execute on function private.run_retention(timestamptz, integer) to service_role;
