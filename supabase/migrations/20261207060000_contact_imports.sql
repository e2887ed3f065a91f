-- Contact imports: one row per imported file (its settings, progress and report),
-- the staging of every row of the file with its outcome (created, updated,
-- unchanged, duplicate, rejected + reason and original values), the batches
-- already applied (what makes a re-run of a batch change nothing), and the
-- reusable column-mapping presets.
--
-- Rows are written only by the import RPCs (20261207060100_import_rpcs.sql);
-- members read them under RLS.

create type public.import_status as enum ('running', 'completed', 'failed', 'undone');
-- What to do with a row that matches an existing contact (normalised e-mail, phone, SIRET).
create type public.import_policy as enum ('skip', 'fill_empty', 'overwrite');
create type public.import_row_status as enum ('created', 'updated', 'unchanged', 'duplicate', 'duplicate_in_file', 'rejected');

create table public.contact_imports (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  file_name text not null,
  file_size bigint,
  file_format text not null default 'csv',
  encoding text,
  delimiter text,
  mapping jsonb not null default '{}',
  policy public.import_policy not null default 'skip',
  status public.import_status not null default 'running',
  total_rows integer,
  processed_rows integer not null default 0,
  created_count integer not null default 0,
  updated_count integer not null default 0,
  unchanged_count integer not null default 0,
  duplicate_count integer not null default 0,
  rejected_count integer not null default 0,
  error text,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  undone_at timestamptz,
  undone_by uuid,
  constraint contact_imports_file_name_length check (char_length(file_name) between 1 and 255),
  constraint contact_imports_format check (file_format in ('csv', 'xlsx')),
  constraint contact_imports_mapping_object check (jsonb_typeof(mapping) = 'object'),
  constraint contact_imports_counts check (processed_rows >= 0 and created_count >= 0 and updated_count >= 0
    and unchanged_count >= 0 and duplicate_count >= 0 and rejected_count >= 0)
);
create unique index contact_imports_tenant_id_id_key on public.contact_imports (tenant_id, id);
create index contact_imports_tenant_created_idx on public.contact_imports (tenant_id, created_at desc);
create index contact_imports_created_by_idx on public.contact_imports (tenant_id, created_by);

-- One row per line of the file (row_number = line in the file, header excluded).
-- raw keeps the original values of rejected rows only (the CSV of rejects);
-- previous keeps the values an update replaced (undo restores them).
create table public.contact_import_rows (
  tenant_id uuid not null,
  import_id uuid not null,
  row_number integer not null,
  status public.import_row_status not null,
  contact_id uuid,
  reason text,
  field text,
  raw jsonb,
  previous jsonb,
  primary key (tenant_id, import_id, row_number),
  foreign key (tenant_id, import_id) references public.contact_imports (tenant_id, id) on delete cascade,
  constraint contact_import_rows_reason check (status <> 'rejected' or reason is not null),
  constraint contact_import_rows_row_number check (row_number >= 1)
);
create index contact_import_rows_contact_idx on public.contact_import_rows (tenant_id, contact_id) where contact_id is not null;
create index contact_import_rows_status_idx on public.contact_import_rows (tenant_id, import_id, status);

-- Batches already applied: a second call with the same (import, batch) returns
-- the first call's counts and writes nothing.
create table public.contact_import_batches (
  tenant_id uuid not null,
  import_id uuid not null,
  batch_no integer not null,
  first_row integer not null,
  row_count integer not null,
  counts jsonb not null,
  applied_at timestamptz not null default now(),
  primary key (tenant_id, import_id, batch_no),
  foreign key (tenant_id, import_id) references public.contact_imports (tenant_id, id) on delete cascade,
  constraint contact_import_batches_counts_object check (jsonb_typeof(counts) = 'object')
);

create table public.import_mapping_presets (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references public.tenants (id) on delete cascade,
  name text not null,
  -- {"<normalised header>": "<contact field>" | "custom:<key>" | "ignore"}
  mapping jsonb not null,
  created_by uuid default auth.uid(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint import_mapping_presets_name_length check (char_length(btrim(name)) between 1 and 80),
  constraint import_mapping_presets_mapping_object check (jsonb_typeof(mapping) = 'object')
);
create unique index import_mapping_presets_name_key on public.import_mapping_presets (tenant_id, lower(name));
create index import_mapping_presets_created_by_idx on public.import_mapping_presets (tenant_id, created_by);

create trigger contact_imports_updated_at before update on public.contact_imports
  for each row execute function private.set_updated_at();
create trigger contact_imports_protect_fields before update on public.contact_imports
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');
create trigger import_mapping_presets_updated_at before update on public.import_mapping_presets
  for each row execute function private.set_updated_at();
create trigger import_mapping_presets_protect_fields before update on public.import_mapping_presets
  for each row execute function private.protect_fields('tenant_id', 'created_by', 'created_at');

-- ---------------------------------------------------------------- RLS
alter table public.contact_imports enable row level security;
alter table public.contact_import_rows enable row level security;
alter table public.contact_import_batches enable row level security;
alter table public.import_mapping_presets enable row level security;
revoke all on public.contact_imports, public.contact_import_rows, public.contact_import_batches, public.import_mapping_presets from anon;
-- Imports, their rows and batches change only through the import RPCs.
revoke insert, update, delete, truncate on public.contact_imports, public.contact_import_rows, public.contact_import_batches from authenticated;
revoke truncate on public.import_mapping_presets from authenticated;

create policy contact_imports_select on public.contact_imports for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy contact_import_rows_select on public.contact_import_rows for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy contact_import_batches_select on public.contact_import_batches for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

create policy import_mapping_presets_select on public.import_mapping_presets for select to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy import_mapping_presets_insert on public.import_mapping_presets for insert to authenticated
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy import_mapping_presets_update on public.import_mapping_presets for update to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))))
  with check (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));
create policy import_mapping_presets_delete on public.import_mapping_presets for delete to authenticated
  using (tenant_id = any (array(select private.tenant_ids_with_role('assistant'))));

grant select on public.contact_imports, public.contact_import_rows, public.contact_import_batches to authenticated;
grant select, insert, update, delete on public.import_mapping_presets to authenticated;
grant all on public.contact_imports, public.contact_import_rows, public.contact_import_batches, public.import_mapping_presets to service_role;
