-- Three-year retention of prospects (CNIL: prospects without an active
-- interaction for 3 years are deleted or anonymised).
--
-- "Active interaction" is contacts.last_activity_at: a click or a reply moves
-- it (private.record_message_event; bot clicks do not), an open does not.
-- private.run_retention(now) runs daily (pg_cron) in three passes:
--   1. flag: live contacts inactive for 3 years get a row in
--      public.contact_retention (flagged_at);
--   2. ask once: where the e-mail gate allows it (consent rules, suppression,
--      address), one renewed-consent e-mail through the normal ledger and
--      queue (idempotency key `renewal:<contact>:<flag date>`), asking the
--      person to answer (a reply or a click renews); otherwise the row says
--      `not_allowed` and nothing is sent;
--   3. anonymise, 30 days after the request (at once when not allowed), when
--      the person did not interact: identity, addresses, company identifiers,
--      notes fields and tags are cleared, `do_not_contact` set, enrolments
--      exited (`anonymised`), the message contents of the ledger cleared and
--      conversations deleted. Suppression hashes stay (a re-import stays
--      blocked), as do consent proofs (legal evidence).
-- A contact who interacts after being flagged is marked `renewed` and left alone.

create table public.contact_retention (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  contact_id uuid not null,
  flagged_at timestamptz not null,
  -- last_activity_at of the contact when flagged.
  inactive_since timestamptz not null,
  renewal_status text,
  renewal_send_id uuid,
  renewal_requested_at timestamptz,
  renewed_at timestamptz,
  anonymised_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, contact_id) references public.contacts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, renewal_send_id) references public.message_sends (tenant_id, id) on delete set null (renewal_send_id),
  constraint contact_retention_status check (renewal_status is null or renewal_status in ('requested', 'not_allowed', 'renewed'))
);
create unique index contact_retention_contact_key on public.contact_retention (tenant_id, contact_id);
create index contact_retention_pending_idx on public.contact_retention (tenant_id, flagged_at) where anonymised_at is null;
create index contact_retention_send_idx on public.contact_retention (tenant_id, renewal_send_id) where renewal_send_id is not null;
-- The daily pass looks across tenants for contacts idle for 3 years.
create index contacts_last_activity_idx on public.contacts (last_activity_at) where deleted_at is null;

create trigger contact_retention_updated_at before update on public.contact_retention
  for each row execute function private.set_updated_at();
create trigger contact_retention_protect_fields before update on public.contact_retention
  for each row execute function private.protect_fields('tenant_id', 'contact_id', 'created_at');

alter table public.contact_retention enable row level security;
revoke all on public.contact_retention from anon;
revoke insert, update, delete, truncate on public.contact_retention from authenticated;
create policy contact_retention_select on public.contact_retention for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

create or replace function private.anonymise_contact(p_tenant_id uuid, p_contact_id uuid, p_now timestamptz default now())
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  update public.contacts
     set first_name = null,
         last_name = case when kind = 'person' then 'Anonymisé' else null end,
         company_name = case when kind = 'company' then 'Entreprise anonymisée' else null end,
         email = null, phone = null, job_title = null, siren = null, siret = null, address_line = null,
         postal_code = null, city = null, source = null, tags = '{}', custom_fields = '{}',
         do_not_contact = true
   where tenant_id = p_tenant_id and id = p_contact_id;
  update public.sequence_enrolments set status = 'exited', exit_reason = 'anonymised', ended_at = p_now, next_due_at = null
   where tenant_id = p_tenant_id and contact_id = p_contact_id and status in ('active', 'paused', 'held');
  update public.message_sends set to_address = null, subject = null, body = null,
         status = case when status = 'queued' then 'cancelled'::public.send_status else status end,
         error = case when status = 'queued' then 'anonymised' else error end
   where tenant_id = p_tenant_id and contact_id = p_contact_id;
  delete from public.conversations where tenant_id = p_tenant_id and contact_id = p_contact_id;
  update public.contact_retention set anonymised_at = p_now where tenant_id = p_tenant_id and contact_id = p_contact_id;
  perform private.emit_event(p_tenant_id, 'contact.anonymised', 'contact', p_contact_id, jsonb_build_object('reason', 'inactive_3_years'));
end;
$$;

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
  c public.contacts;
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
    select * into c from public.contacts where tenant_id = r.tenant_id and id = r.contact_id;
    if private.consent_block_reason(c, 'email', null, p_now) is null then
      select coalesce(nullif(btrim(t.display_name), ''), t.legal_name) into agency from public.tenants t where t.id = r.tenant_id;
      insert into public.message_sends (tenant_id, contact_id, channel, idempotency_key, to_address, subject, body, company_key, status, queued_at)
      values (r.tenant_id, r.contact_id, 'email', 'renewal:' || r.contact_id || ':' || to_char(r.flagged_at, 'YYYYMMDD'), c.email,
              'Souhaitez-vous rester en contact avec ' || agency || ' ?',
              'Bonjour,' || e'\n\n' || 'Nous ne nous sommes pas parlé depuis plus de trois ans. Pour continuer à recevoir les informations de '
              || agency || ', répondez simplement à ce message.' || e'\n\n'
              || 'Sans réponse de votre part sous 30 jours, vos données seront anonymisées et nous ne vous écrirons plus.',
              private.contact_company_key(c), 'queued', p_now)
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

revoke all on function private.anonymise_contact(uuid, uuid, timestamptz), private.run_retention(timestamptz, integer) from public, anon, authenticated;
grant execute on function private.anonymise_contact(uuid, uuid, timestamptz), private.run_retention(timestamptz, integer) to service_role;

select private.schedule_job('sending-retention', '17 3 * * *', 'select private.run_retention()');
