-- The storage schema the local Storage service uses, with Supabase's shapes. Idempotent.
create schema if not exists storage authorization supabase_storage_admin;
grant usage on schema storage to anon, authenticated, service_role, postgres;

create table if not exists storage.buckets (
  id text primary key,
  name text not null,
  owner uuid,
  owner_id text,
  public boolean default false,
  type text not null default 'STANDARD',
  avif_autodetection boolean default false,
  file_size_limit bigint,
  allowed_mime_types text[],
  created_at timestamptz default now(),
  updated_at timestamptz default now()
);
create unique index if not exists bname on storage.buckets (name);

create table if not exists storage.objects (
  id uuid primary key default gen_random_uuid(),
  bucket_id text references storage.buckets(id),
  name text,
  owner uuid,
  owner_id text,
  created_at timestamptz default now(),
  updated_at timestamptz default now(),
  last_accessed_at timestamptz default now(),
  metadata jsonb,
  path_tokens text[] generated always as (string_to_array(name, '/')) stored,
  version text,
  user_metadata jsonb
);
create unique index if not exists bucketid_objname on storage.objects (bucket_id, name);
create index if not exists name_prefix_search on storage.objects (name text_pattern_ops);

create or replace function storage.foldername(name text) returns text[]
language plpgsql immutable as $$
declare _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[1 : array_length(_parts, 1) - 1];
end $$;

create or replace function storage.filename(name text) returns text
language plpgsql immutable as $$
declare _parts text[];
begin
  select string_to_array(name, '/') into _parts;
  return _parts[array_length(_parts, 1)];
end $$;

create or replace function storage.extension(name text) returns text
language plpgsql immutable as $$
declare _parts text[]; _filename text;
begin
  select string_to_array(name, '/') into _parts;
  select _parts[array_length(_parts, 1)] into _filename;
  return reverse(split_part(reverse(_filename), '.', 1));
end $$;

alter table storage.buckets enable row level security;
alter table storage.objects enable row level security;

do $$ declare t text; begin
  for t in select tablename from pg_tables where schemaname = 'storage' loop
    execute format('alter table storage.%I owner to supabase_storage_admin', t);
  end loop;
end $$;
grant all on storage.buckets, storage.objects to anon, authenticated, service_role, postgres;
grant execute on function storage.foldername(text), storage.filename(text), storage.extension(text) to public;

-- Defence in depth: object names are relative keys without `.`/`..` segments or
-- backslashes, whoever writes the row (the gateway refuses them before this).
do $$ begin
  if not exists (select 1 from pg_constraint where conname = 'objects_name_is_relative_key' and conrelid = 'storage.objects'::regclass) then
    alter table storage.objects add constraint objects_name_is_relative_key
      check (name !~ '(^|/)\.\.?(/|$)' and name !~ '^/' and strpos(name, E'\\') = 0 and strpos(name, chr(1)) = 0);
  end if;
end $$;

-- Listing a folder scans names by prefix within one bucket.
create index if not exists objects_bucket_id_name_pattern on storage.objects (bucket_id, name text_pattern_ops);
