-- Two simultaneous inserts of the same contact: the second one gets the stable
-- `duplicate_contact` (23505, detail {field, existing_contact_id}) instead of the raw
-- unique-index error of contacts_tenant_{email,phone,siret}_key.
--
-- Why a lock: contacts_before_write looks for a live contact with the same key, but it
-- cannot see a row another transaction has inserted and not yet committed; the unique
-- index then waits for that transaction and fails with its own message. The index
-- violation itself cannot be caught on this path (REST inserts run no function around
-- the INSERT, and a trigger cannot trap an error raised after it). So a write that can
-- bring a key to life first takes the tenant's counter row lock (public.tenant_usage),
-- which every contact insert, delete and restore of the tenant takes anyway at statement
-- end (private.tenant_usage_contacts): taking it earlier adds no new lock to wait for
-- and no new lock order. The second writer waits there until the first commits; the
-- duplicate check that follows runs with a fresh snapshot (READ COMMITTED, as REST and
-- the RPCs run) and sees the committed contact.
--
-- What waits longer: an update that changes a live contact's e-mail, phone or SIRET now
-- waits for a concurrent contact insert of the same tenant (e.g. an import) to commit.
-- Under REPEATABLE READ or SERIALIZABLE the waiting writer gets a serialization failure
-- (40001, retryable) rather than the stable code: its snapshot cannot see the winner.
--
-- Trigger order: BEFORE row triggers fire in name order, so contacts_before_keys_lock
-- runs before contacts_before_write (its duplicate check).

create or replace function private.contacts_lock_tenant_keys()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.deleted_at is null
     and (new.email is not null or new.phone is not null or new.siret is not null)
     and (tg_op = 'INSERT'
          or old.deleted_at is not null
          or new.email is distinct from old.email
          or new.phone is distinct from old.phone
          or new.siret is distinct from old.siret) then
    -- Same mode as the counter's UPDATE (tenant_id is not changed): no key-share conflict.
    perform 1 from public.tenant_usage u where u.tenant_id = new.tenant_id for no key update;
  end if;
  return new;
end;
$$;
comment on function private.contacts_lock_tenant_keys() is
  'BEFORE INSERT/UPDATE on contacts: a write that can bring an e-mail, phone or SIRET to life takes the tenant''s tenant_usage row lock first, so concurrent duplicates get duplicate_contact, not the unique index error.';
revoke all on function private.contacts_lock_tenant_keys() from public, anon, authenticated;

create trigger contacts_before_keys_lock before insert or update on public.contacts
  for each row execute function private.contacts_lock_tenant_keys();
