-- Local stand-in for Supabase Vault (supabase_vault), for clusters where the
-- extension is not installed. Same table, view and functions: secrets are
-- stored encrypted in `vault.secrets.secret` and read in clear through
-- `vault.decrypted_secrets`; only postgres and service_role may see either.
-- Vault encrypts with a key held outside the database (pgsodium / server key);
-- here a random per-cluster key in `vault._local_key`, readable by postgres
-- only, with pgcrypto's symmetric PGP encryption — enough to keep secrets out
-- of plain dumps of the table, not a security boundary on a dev machine.
-- Idempotent: the bootstrap runs on every start.

create schema if not exists vault;

create table if not exists vault._local_key (
  id boolean primary key default true check (id),
  key text not null
);
insert into vault._local_key (key)
select encode(extensions.gen_random_bytes(32), 'base64')
where not exists (select 1 from vault._local_key);

create table if not exists vault.secrets (
  id uuid primary key default gen_random_uuid(),
  name text,
  description text not null default '',
  secret text not null,
  key_id uuid,
  nonce bytea default extensions.gen_random_bytes(16),
  created_at timestamptz not null default current_timestamp,
  updated_at timestamptz not null default current_timestamp
);
-- Names are unique (Vault: a unique index on name). Deferred to commit here so a
-- single statement may replace a secret (delete + create), as the bootstrap does.
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'secrets_name_key' and conrelid = 'vault.secrets'::regclass) then
    alter table vault.secrets add constraint secrets_name_key unique (name) deferrable initially deferred;
  end if;
end $$;

create or replace function vault._encrypt(plain text)
returns text language sql volatile security definer set search_path = '' as $$
  select encode(extensions.pgp_sym_encrypt(plain, k.key, 'cipher-algo=aes256'), 'base64')
  from vault._local_key k
$$;

create or replace function vault._decrypt(cipher text)
returns text language sql stable security definer set search_path = '' as $$
  select extensions.pgp_sym_decrypt(decode(cipher, 'base64'), k.key)
  from vault._local_key k
$$;

create or replace view vault.decrypted_secrets as
select s.id, s.name, s.description, s.secret,
       vault._decrypt(s.secret) as decrypted_secret,
       s.key_id, s.nonce, s.created_at, s.updated_at
from vault.secrets s;

create or replace function vault.create_secret(
  new_secret text,
  new_name text default null,
  new_description text default ''
)
returns uuid language plpgsql security definer set search_path = '' as $$
declare
  rec_id uuid;
begin
  insert into vault.secrets (secret, name, description)
  values (vault._encrypt(new_secret), new_name, coalesce(new_description, ''))
  returning id into rec_id;
  return rec_id;
end $$;

create or replace function vault.update_secret(
  secret_id uuid,
  new_secret text default null,
  new_name text default null,
  new_description text default null,
  new_key_id uuid default null
)
returns void language plpgsql security definer set search_path = '' as $$
begin
  update vault.secrets s set
    secret = case when new_secret is null then s.secret else vault._encrypt(new_secret) end,
    name = coalesce(new_name, s.name),
    description = coalesce(new_description, s.description),
    key_id = coalesce(new_key_id, s.key_id),
    updated_at = now()
  where s.id = secret_id;
end $$;

revoke all on schema vault from public, anon, authenticated;
grant usage on schema vault to service_role;
revoke all on all tables in schema vault from public, anon, authenticated, service_role;
grant select, insert, update, delete on vault.secrets to service_role;
grant select on vault.decrypted_secrets to service_role;
revoke all on all functions in schema vault from public, anon, authenticated;
grant execute on function vault.create_secret(text, text, text), vault.update_secret(uuid, text, text, text, uuid),
  vault._decrypt(text) to service_role;
