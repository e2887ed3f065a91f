-- Foundations shared by every domain migration: the `private` schema, default-deny
-- function privileges, French identifier validation, and the generic triggers
-- (timestamps, protected fields) the domain tables attach.

create schema if not exists private;
revoke all on schema private from public;
-- The API roles may call the helpers that policies use; nothing in `private` is
-- exposed through the REST API (it is not in [api] schemas).
grant usage on schema private to authenticated, service_role;

create extension if not exists unaccent with schema extensions;
create extension if not exists btree_gin with schema extensions;

-- Default deny: a function created by a migration is callable by no one until a
-- migration grants it. (PostgreSQL grants EXECUTE to PUBLIC by default, and the
-- platform bootstrap grants functions in `public` to the API roles.)
alter default privileges for role postgres revoke execute on functions from public;
alter default privileges for role postgres in schema public revoke execute on functions from anon, authenticated;
alter default privileges for role postgres in schema private revoke execute on functions from public;

-- Luhn (mod 10) check over a string of digits.
create or replace function private.luhn_is_valid(digits text)
returns boolean
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select digits ~ '^[0-9]+$' and (
    select sum(case when (length(digits) - i) % 2 = 1
                    then (substr(digits, i, 1)::int * 2) / 10 + (substr(digits, i, 1)::int * 2) % 10
                    else substr(digits, i, 1)::int end) % 10 = 0
    from generate_series(1, length(digits)) as i
  )
$$;

-- SIREN: 9 digits, Luhn.
create or replace function private.is_valid_siren(siren text)
returns boolean
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select siren ~ '^[0-9]{9}$' and private.luhn_is_valid(siren)
$$;

-- SIRET: 14 digits (SIREN + NIC), Luhn over the 14 digits. La Poste's
-- establishments (SIREN 356000000) follow INSEE's exception: the digit sum is a
-- multiple of 5.
create or replace function private.is_valid_siret(siret text)
returns boolean
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select siret ~ '^[0-9]{14}$' and (
    private.luhn_is_valid(siret)
    or (left(siret, 9) = '356000000'
        and (select sum(substr(siret, i, 1)::int) from generate_series(1, 14) as i) % 5 = 0)
  )
$$;

-- E.164: '+', country code, up to 15 digits in all.
create or replace function private.is_e164(phone text)
returns boolean
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select phone ~ '^\+[1-9][0-9]{6,14}$'
$$;

-- Lower-case, trimmed e-mail; empty becomes null.
create or replace function private.normalize_email(email text)
returns text
language sql
immutable
strict
parallel safe
set search_path = ''
as $$
  select nullif(lower(btrim(email)), '')
$$;

-- unaccent is stable (its dictionary could change); pinning the dictionary makes
-- it safe for generated columns and indexes.
create or replace function private.search_text(variadic parts text[])
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select lower(extensions.unaccent('extensions.unaccent'::regdictionary, array_to_string(parts, ' ')))
$$;

-- updated_at on every update.
create or replace function private.set_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end;
$$;

-- Refuses changes to the columns named in the trigger arguments when the
-- statement runs as an API role (authenticated/anon). The service role and
-- migrations may still correct them.
create or replace function private.protect_fields()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  col text;
  old_row jsonb := to_jsonb(old);
  new_row jsonb := to_jsonb(new);
begin
  if current_user not in ('authenticated', 'anon') then
    return new;
  end if;
  foreach col in array tg_argv loop
    if old_row -> col is distinct from new_row -> col then
      raise exception using
        errcode = '42501',
        message = 'protected_field',
        detail = jsonb_build_object('table', tg_table_name, 'field', col)::text,
        hint = format('%s cannot be changed through the API', col);
    end if;
  end loop;
  return new;
end;
$$;

-- Append-only tables: no update, no delete, no truncate, whoever asks.
create or replace function private.refuse_mutation()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception using
    errcode = '42501',
    message = 'append_only',
    detail = jsonb_build_object('table', tg_table_name, 'operation', lower(tg_op))::text,
    hint = format('%s is append-only', tg_table_name);
end;
$$;

grant execute on function
  private.luhn_is_valid(text),
  private.is_valid_siren(text),
  private.is_valid_siret(text),
  private.is_e164(text),
  private.normalize_email(text),
  private.search_text(text[])
to authenticated, service_role;
