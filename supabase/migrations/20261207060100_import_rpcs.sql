-- The import RPCs. The browser parses, maps and pre-validates the file (Web
-- Worker), then sends it in batches; the database validates again, deduplicates
-- and writes each batch atomically:
--   import_start(...)            → the import id
--   import_apply_batch(id, n, rows) → counts; a second call for the same batch
--                                  returns the first call's counts and writes nothing
--   import_finish(id)            → report, domain event, "import finished" notification
--   import_fail(id, error)       → marks the import failed (applied batches stay, undo works)
--   import_undo(id)              → soft-deletes what it created, restores what it changed
--   import_possible_duplicates(id) → created contacts that look like existing ones (pg_trgm)
--
-- A re-import never clears an opt-out, a suppression or a do-not-contact flag:
-- the file may set them, never unset them; undo never clears them either.

-- The contact columns an import may write (and undo may restore).
create or replace function private.import_text_fields()
returns text[]
language sql
immutable
set search_path = ''
as $$
  select array['first_name', 'last_name', 'company_name', 'job_title', 'siren', 'naf_code',
               'address_line', 'postal_code', 'city', 'lifecycle_stage']
$$;

create or replace function public.import_start(
  p_tenant_id uuid, p_file_name text, p_file_size bigint default null, p_file_format text default 'csv',
  p_encoding text default null, p_delimiter text default null, p_mapping jsonb default '{}',
  p_policy public.import_policy default 'skip', p_total_rows integer default null
)
returns uuid
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_id uuid;
begin
  perform private.require_role(p_tenant_id, 'assistant');
  insert into public.contact_imports (tenant_id, file_name, file_size, file_format, encoding, delimiter, mapping, policy, total_rows, created_by)
  values (p_tenant_id, left(coalesce(nullif(btrim(p_file_name), ''), 'import'), 255), p_file_size, coalesce(p_file_format, 'csv'),
          p_encoding, p_delimiter, coalesce(p_mapping, '{}'), coalesce(p_policy, 'skip'), p_total_rows, (select auth.uid()))
  returning id into v_id;
  return v_id;
end;
$$;

-- One batch (≤ 5,000 rows) of an import. Each element of p_rows is a flat object:
--   n (row number in the file), raw (original values, array), error_field/error_reason
--   (the browser's verdict, if it rejected the row), then the contact fields already
--   normalised by the browser: kind, first_name, last_name, email, phone, company_name,
--   job_title, siren, siret, naf_code, address_line, postal_code, city, country, tags,
--   custom_fields, lifecycle_stage, do_not_contact, email_opt_out, sms_opt_out.
create or replace function public.import_apply_batch(p_import_id uuid, p_batch_no integer, p_rows jsonb)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  imp public.contact_imports;
  v_done jsonb;
  v_counts jsonb;
  v_tenant uuid;
  f text;
  set_list text;
  new_expr text;
  diff_expr text;
begin
  select * into imp from public.contact_imports where id = p_import_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'import_not_found';
  end if;
  v_tenant := imp.tenant_id;
  perform private.require_role(v_tenant, 'assistant');
  -- One batch of an import at a time; makes the replay check below race-free.
  perform 1 from public.contact_imports where id = p_import_id for update;

  select counts into v_done from public.contact_import_batches
   where tenant_id = v_tenant and import_id = p_import_id and batch_no = p_batch_no;
  if found then
    return v_done || jsonb_build_object('replayed', true);
  end if;
  select status into imp.status from public.contact_imports where id = p_import_id;
  if imp.status <> 'running' then
    raise exception using errcode = '22023', message = 'import_not_running', detail = jsonb_build_object('status', imp.status)::text;
  end if;
  if p_batch_no is null or p_batch_no < 0 or jsonb_typeof(p_rows) is distinct from 'array'
     or jsonb_array_length(p_rows) not between 1 and 5000 then
    raise exception using errcode = '22023', message = 'invalid_batch', detail = jsonb_build_object('max_rows', 5000)::text;
  end if;

  if to_regclass('pg_temp.import_batch') is null then
  create temp table import_batch (
    n integer, raw jsonb, error_field text, error_reason text,
    kind text, first_name text, last_name text, email text, phone text, company_name text, job_title text,
    siren text, siret text, naf_code text, address_line text, postal_code text, city text, country text,
    tags text[], custom_fields jsonb, lifecycle_stage text,
    do_not_contact boolean, email_opt_out boolean, sms_opt_out boolean,
    -- outcome
    status public.import_row_status, reason text, field text, contact_id uuid, previous jsonb, name_key text
  ) on commit drop;
  end if;
  truncate import_batch;

  insert into import_batch
  select r.n, r.raw, r.error_field, r.error_reason,
         r.kind,
         nullif(btrim(r.first_name), ''), nullif(btrim(r.last_name), ''),
         private.normalize_email(nullif(btrim(r.email), '')),
         nullif(regexp_replace(r.phone, '[\s.()-]', '', 'g'), ''),
         nullif(btrim(r.company_name), ''), nullif(btrim(r.job_title), ''),
         nullif(regexp_replace(r.siren, '\s', '', 'g'), ''), nullif(regexp_replace(r.siret, '\s', '', 'g'), ''),
         nullif(btrim(r.naf_code), ''), nullif(btrim(r.address_line), ''), nullif(btrim(r.postal_code), ''),
         nullif(btrim(r.city), ''), upper(coalesce(nullif(btrim(r.country), ''), 'FR')),
         coalesce(r.tags, '{}'), coalesce(r.custom_fields, '{}'), nullif(btrim(r.lifecycle_stage), ''),
         coalesce(r.do_not_contact, false), coalesce(r.email_opt_out, false), coalesce(r.sms_opt_out, false),
         null, null, null, null, null, null
    from jsonb_to_recordset(p_rows) as r(
      n integer, raw jsonb, error_field text, error_reason text, kind text, first_name text, last_name text,
      email text, phone text, company_name text, job_title text, siren text, siret text, naf_code text,
      address_line text, postal_code text, city text, country text, tags text[], custom_fields jsonb,
      lifecycle_stage text, do_not_contact boolean, email_opt_out boolean, sms_opt_out boolean);

  if exists (select 1 from import_batch where n is null or n < 1) or
     (select count(distinct n) from import_batch) <> (select count(*) from import_batch) then
    raise exception using errcode = '22023', message = 'invalid_batch', detail = jsonb_build_object('field', 'n')::text;
  end if;

  -- Rows already staged by another batch of this import (a client that re-cut its
  -- batches) are not applied twice.
  delete from import_batch b using public.contact_import_rows s
   where s.tenant_id = v_tenant and s.import_id = p_import_id and s.row_number = b.n;

  update import_batch set siren = left(siret, 9)
   where siren is null and siret is not null and private.is_valid_siret(siret);
  update import_batch set kind = case
      when kind in ('person', 'company') then kind
      when company_name is not null and first_name is null and last_name is null then 'company'
      else 'person' end;

  -- The database's own validation: what the browser let through must still fit
  -- the contacts' constraints, or the row is rejected with the field and reason.
  update import_batch set status = 'rejected', field = v.field, reason = v.reason
    from (
      select b.n,
        case
          when b.error_reason is not null then b.error_field
          when greatest(length(b.first_name), length(b.last_name), length(b.company_name), length(b.job_title),
                        length(b.address_line), length(b.city), length(b.email)) > 500 then 'value'
          when b.email is not null and b.email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then 'email'
          when b.phone is not null and not private.is_e164(b.phone) then 'phone'
          when b.siret is not null and not private.is_valid_siret(b.siret) then 'siret'
          when b.siren is not null and not private.is_valid_siren(b.siren) then 'siren'
          when b.siren is not null and b.siret is not null and left(b.siret, 9) <> b.siren then 'siret'
          when b.naf_code is not null and b.naf_code !~ '^[0-9]{2}\.[0-9]{2}[A-Z]$' then 'naf_code'
          when b.country !~ '^[A-Z]{2}$' then 'country'
          when b.postal_code is not null and b.country = 'FR' and b.postal_code !~ '^[0-9]{5}$' then 'postal_code'
          when b.lifecycle_stage is not null and b.lifecycle_stage not in ('prospect', 'lead', 'qualified', 'client', 'former_client', 'lost') then 'lifecycle_stage'
          when b.kind = 'company' and b.company_name is null then 'company_name'
          when b.kind = 'person' and coalesce(b.first_name, b.last_name, b.email, b.phone) is null then 'identity'
        end as field,
        case
          when b.error_reason is not null then b.error_reason
          when greatest(length(b.first_name), length(b.last_name), length(b.company_name), length(b.job_title),
                        length(b.address_line), length(b.city), length(b.email)) > 500 then 'too_long'
          when b.email is not null and b.email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' then 'invalid_email'
          when b.phone is not null and not private.is_e164(b.phone) then 'invalid_phone'
          when b.siret is not null and not private.is_valid_siret(b.siret) then 'invalid_siret'
          when b.siren is not null and not private.is_valid_siren(b.siren) then 'invalid_siren'
          when b.siren is not null and b.siret is not null and left(b.siret, 9) <> b.siren then 'siret_siren_mismatch'
          when b.naf_code is not null and b.naf_code !~ '^[0-9]{2}\.[0-9]{2}[A-Z]$' then 'invalid_naf'
          when b.country !~ '^[A-Z]{2}$' then 'invalid_country'
          when b.postal_code is not null and b.country = 'FR' and b.postal_code !~ '^[0-9]{5}$' then 'invalid_postal_code'
          when b.lifecycle_stage is not null and b.lifecycle_stage not in ('prospect', 'lead', 'qualified', 'client', 'former_client', 'lost') then 'invalid_stage'
          when b.kind = 'company' and b.company_name is null then 'missing_company'
          when b.kind = 'person' and coalesce(b.first_name, b.last_name, b.email, b.phone) is null then 'missing_identity'
        end as reason
      from import_batch b
    ) v
   where import_batch.n = v.n and v.reason is not null;

  -- Rows without e-mail, phone or SIRET are recognised by name + company + city.
  update import_batch set name_key = private.search_text(first_name, last_name, company_name, city)
   where status is null and email is null and phone is null and siret is null;

  -- Deduplication against the tenant's live contacts (unique indexes), strongest key first.
  update import_batch b set contact_id = c.id, field = 'email'
    from public.contacts c
   where b.status is null and b.email is not null
     and c.tenant_id = v_tenant and c.deleted_at is null and c.email = b.email;
  update import_batch b set contact_id = c.id, field = 'phone'
    from public.contacts c
   where b.status is null and b.contact_id is null and b.phone is not null
     and c.tenant_id = v_tenant and c.deleted_at is null and c.phone = b.phone;
  update import_batch b set contact_id = c.id, field = 'siret'
    from public.contacts c
   where b.status is null and b.contact_id is null and b.siret is not null
     and c.tenant_id = v_tenant and c.deleted_at is null and c.siret = b.siret;
  update import_batch b set contact_id = x.id, field = 'name'
    from (select b2.n, min(c.id::text)::uuid as id
            from import_batch b2 join public.contacts c
              on c.tenant_id = v_tenant and c.deleted_at is null
             and c.search_text = b2.name_key and c.email is null and c.phone is null and c.siret is null
           where b2.status is null and b2.name_key is not null
           group by b2.n) x
   where b.n = x.n and b.status is null and b.contact_id is null;

  -- A match on a contact this import created (an earlier batch), or a second row
  -- of this batch on the same contact: a duplicate inside the file.
  update import_batch b set status = 'duplicate_in_file'
    from public.contact_import_rows s
   where b.status is null and b.contact_id is not null
     and s.tenant_id = v_tenant and s.import_id = p_import_id and s.contact_id = b.contact_id and s.status = 'created';
  update import_batch b set status = 'duplicate_in_file'
    from (select n, row_number() over (partition by contact_id order by n) as k
            from import_batch where status is null and contact_id is not null) d
   where b.n = d.n and d.k > 1;

  -- New rows sharing a key with an earlier new row of the batch.
  update import_batch b set status = 'duplicate_in_file', field = d.field
    from (
      select n, case when ke > 1 then 'email' when kp > 1 then 'phone' when ks > 1 then 'siret' when kn > 1 then 'name' end as field
        from (select n,
                case when email is null then 1 else row_number() over (partition by email order by n) end as ke,
                case when phone is null then 1 else row_number() over (partition by phone order by n) end as kp,
                case when siret is null then 1 else row_number() over (partition by siret order by n) end as ks,
                case when name_key is null then 1 else row_number() over (partition by name_key order by n) end as kn
              from import_batch where status is null and contact_id is null) w
       where greatest(ke, kp, ks, kn) > 1
    ) d
   where b.n = d.n;
  -- Their contact is the row they repeat (for the report), once it exists.

  -- Matches on existing contacts: the policy decides.
  if imp.policy = 'skip' then
    update import_batch set status = 'duplicate' where status is null and contact_id is not null;
  else
    -- New value per field: fill_empty keeps what the contact has; overwrite takes the
    -- file's non-empty value. E-mail, phone and SIRET (the identity keys) are only
    -- filled when empty and free. Flags only ever go up.
    new_expr := '';
    diff_expr := '';
    set_list := '';
    foreach f in array private.import_text_fields() loop
      new_expr := new_expr || format(', %s as %I',
        case when imp.policy = 'overwrite'
             then format('coalesce(b.%1$I%2$s, c.%1$I)', f, case when f = 'lifecycle_stage' then '::public.lifecycle_stage' else '' end)
             else format('coalesce(c.%1$I, b.%1$I%2$s)', f, case when f = 'lifecycle_stage' then '::public.lifecycle_stage' else '' end) end, 'new_' || f);
      diff_expr := diff_expr || format(' || case when x.%1$I is distinct from x.%2$I then jsonb_build_object(%3$L, x.%1$I) else %4$L::jsonb end',
        'old_' || f, 'new_' || f, f, '{}');
      set_list := set_list || format(', %1$I = u.%2$I', f, 'new_' || f);
    end loop;
    foreach f in array array['email', 'phone', 'siret'] loop
      new_expr := new_expr || format(
        ', case when c.%1$I is null and b.%1$I is not null and not exists (select 1 from public.contacts o where o.tenant_id = c.tenant_id and o.deleted_at is null and o.%1$I = b.%1$I and o.id <> c.id) then b.%1$I else c.%1$I end as %2$I', f, 'new_' || f);
      diff_expr := diff_expr || format(' || case when x.%1$I is distinct from x.%2$I then jsonb_build_object(%3$L, x.%1$I) else %4$L::jsonb end',
        'old_' || f, 'new_' || f, f, '{}');
      set_list := set_list || format(', %1$I = u.%2$I', f, 'new_' || f);
    end loop;

    execute format($sql$
      create temp table import_updates on commit drop as
      select ('{}'::jsonb %s
              || case when x.old_tags is distinct from x.new_tags then jsonb_build_object('tags', x.old_tags) else '{}'::jsonb end
              || case when x.old_custom_fields is distinct from x.new_custom_fields then jsonb_build_object('custom_fields', x.old_custom_fields) else '{}'::jsonb end
              || case when x.old_dnc is distinct from x.new_dnc then jsonb_build_object('do_not_contact', x.old_dnc) else '{}'::jsonb end
              || case when x.old_email_consent is distinct from x.new_email_consent then jsonb_build_object('email_consent', x.old_email_consent) else '{}'::jsonb end
              || case when x.old_sms_consent is distinct from x.new_sms_consent then jsonb_build_object('sms_consent', x.old_sms_consent) else '{}'::jsonb end
             ) as previous,
             x.*
        from (
          select b.n, c.id,
                 c.first_name as old_first_name, c.last_name as old_last_name, c.company_name as old_company_name,
                 c.job_title as old_job_title, c.siren as old_siren, c.naf_code as old_naf_code,
                 c.address_line as old_address_line, c.postal_code as old_postal_code, c.city as old_city,
                 c.lifecycle_stage as old_lifecycle_stage, c.email as old_email, c.phone as old_phone, c.siret as old_siret,
                 c.tags as old_tags, c.custom_fields as old_custom_fields, c.do_not_contact as old_dnc,
                 c.email_consent as old_email_consent, c.sms_consent as old_sms_consent
                 %s,
                 (select coalesce(array_agg(distinct t order by t), '{}') from unnest(c.tags || b.tags) t) as new_tags,
                 case when $1 = 'overwrite' then c.custom_fields || b.custom_fields else b.custom_fields || c.custom_fields end as new_custom_fields,
                 c.do_not_contact or b.do_not_contact as new_dnc,
                 case when b.email_opt_out then 'opt_out'::public.consent_status else c.email_consent end as new_email_consent,
                 case when b.sms_opt_out then 'opt_out'::public.consent_status else c.sms_consent end as new_sms_consent
            from import_batch b
            join public.contacts c on c.tenant_id = $2 and c.id = b.contact_id
           where b.status is null
        ) x
    $sql$, diff_expr, new_expr) using imp.policy::text, v_tenant;

    -- Sort the tag arrays of both sides the same way so an unchanged set is not a change.
    update import_updates set previous = previous - 'tags'
     where (select coalesce(array_agg(distinct t order by t), '{}') from unnest(old_tags) t) = new_tags;

    execute format($sql$
      update public.contacts c set tags = u.new_tags, custom_fields = u.new_custom_fields,
             do_not_contact = u.new_dnc, email_consent = u.new_email_consent, sms_consent = u.new_sms_consent %s
        from import_updates u
       where c.tenant_id = $1 and c.id = u.id and u.previous <> '{}'::jsonb
    $sql$, set_list) using v_tenant;

    update import_batch b set status = case when u.previous = '{}'::jsonb then 'unchanged' else 'updated' end::public.import_row_status,
           previous = nullif(u.previous, '{}'::jsonb)
      from import_updates u where b.n = u.n;
    drop table import_updates;
  end if;

  -- Everything left is new.
  update import_batch set status = 'created', contact_id = gen_random_uuid() where status is null;
  insert into public.contacts (id, tenant_id, kind, first_name, last_name, email, phone, company_name, job_title,
                               siren, siret, naf_code, address_line, postal_code, city, country, tags, custom_fields,
                               lifecycle_stage, do_not_contact, email_consent, sms_consent, source, created_by)
  select b.contact_id, v_tenant, b.kind::public.contact_kind, b.first_name, b.last_name, b.email, b.phone, b.company_name, b.job_title,
         b.siren, b.siret, b.naf_code, b.address_line, b.postal_code, b.city, b.country, b.tags, b.custom_fields,
         coalesce(b.lifecycle_stage, 'prospect')::public.lifecycle_stage, b.do_not_contact,
         case when b.email_opt_out then 'opt_out' else 'unknown' end::public.consent_status,
         case when b.sms_opt_out then 'opt_out' else 'unknown' end::public.consent_status,
         'import', (select auth.uid())
    from import_batch b where b.status = 'created';

  -- In-file duplicates point at the contact of the row they repeat, when it was created.
  update import_batch b set contact_id = (
      select o.contact_id from import_batch o
       where o.status = 'created' and o.n < b.n
         and ((o.email = b.email) or (o.phone = b.phone) or (o.siret = b.siret) or (o.name_key = b.name_key))
       order by o.n limit 1)
   where b.status = 'duplicate_in_file' and b.contact_id is null;

  insert into public.contact_import_rows (tenant_id, import_id, row_number, status, contact_id, reason, field, raw, previous)
  select v_tenant, p_import_id, b.n, b.status, b.contact_id,
         case when b.status = 'rejected' then b.reason end,
         b.field,
         case when b.status = 'rejected' then b.raw end,
         b.previous
    from import_batch b;

  select jsonb_build_object(
           'rows', count(*),
           'created', count(*) filter (where status = 'created'),
           'updated', count(*) filter (where status = 'updated'),
           'unchanged', count(*) filter (where status = 'unchanged'),
           'duplicates', count(*) filter (where status in ('duplicate', 'duplicate_in_file')),
           'rejected', count(*) filter (where status = 'rejected'))
    into v_counts from import_batch;

  insert into public.contact_import_batches (tenant_id, import_id, batch_no, first_row, row_count, counts)
  values (v_tenant, p_import_id, p_batch_no, coalesce((select min(n) from import_batch), 0), jsonb_array_length(p_rows), v_counts);

  update public.contact_imports set
    processed_rows = processed_rows + (v_counts->>'rows')::int,
    created_count = created_count + (v_counts->>'created')::int,
    updated_count = updated_count + (v_counts->>'updated')::int,
    unchanged_count = unchanged_count + (v_counts->>'unchanged')::int,
    duplicate_count = duplicate_count + (v_counts->>'duplicates')::int,
    rejected_count = rejected_count + (v_counts->>'rejected')::int
   where id = p_import_id;

  truncate import_batch;
  return v_counts;
end;
$$;

create or replace function public.import_finish(p_import_id uuid)
returns public.contact_imports
language plpgsql
security definer
set search_path = ''
as $$
declare
  imp public.contact_imports;
begin
  select * into imp from public.contact_imports where id = p_import_id for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'import_not_found';
  end if;
  perform private.require_role(imp.tenant_id, 'assistant');
  if imp.status <> 'running' then
    return imp;  -- finishing twice changes nothing
  end if;
  update public.contact_imports set status = 'completed', finished_at = now() where id = p_import_id returning * into imp;
  perform private.emit_event(imp.tenant_id, 'prospect.imported', 'contact_import', imp.id,
    jsonb_build_object('file_name', imp.file_name, 'created', imp.created_count, 'updated', imp.updated_count,
                       'unchanged', imp.unchanged_count, 'duplicates', imp.duplicate_count, 'rejected', imp.rejected_count));
  if imp.created_by is not null then
    insert into public.notifications (tenant_id, user_id, kind, title, body, link, payload)
    values (imp.tenant_id, imp.created_by, 'import.finished',
            'Import terminé : ' || left(imp.file_name, 120),
            format('%s créé(s), %s mis à jour, %s doublon(s), %s rejeté(s).', imp.created_count, imp.updated_count, imp.duplicate_count, imp.rejected_count),
            '/prospects/imports?import=' || imp.id,
            jsonb_build_object('import_id', imp.id, 'created', imp.created_count, 'updated', imp.updated_count,
                               'duplicates', imp.duplicate_count, 'rejected', imp.rejected_count));
  end if;
  return imp;
end;
$$;

create or replace function public.import_fail(p_import_id uuid, p_error text)
returns void
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_tenant uuid;
begin
  select tenant_id into v_tenant from public.contact_imports where id = p_import_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'import_not_found';
  end if;
  perform private.require_role(v_tenant, 'assistant');
  update public.contact_imports set status = 'failed', error = left(p_error, 500), finished_at = now()
   where id = p_import_id and status = 'running';
end;
$$;

-- Undo a whole import: the contacts it created are soft-deleted (history kept, their
-- e-mail/phone/SIRET freed), the columns it changed get their previous values back.
-- Flags (do-not-contact, opt-outs) are never cleared, here as in the import.
create or replace function public.import_undo(p_import_id uuid)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  imp public.contact_imports;
  v_deleted integer;
  v_restored integer;
  f text;
  set_list text := '';
begin
  select * into imp from public.contact_imports where id = p_import_id for update;
  if not found then
    raise exception using errcode = 'P0002', message = 'import_not_found';
  end if;
  perform private.require_role(imp.tenant_id, 'assistant');
  if imp.status = 'undone' then
    return jsonb_build_object('deleted', 0, 'restored', 0, 'already_undone', true);
  end if;
  if imp.status = 'running' then
    raise exception using errcode = '22023', message = 'import_running';
  end if;

  update public.contacts c set deleted_at = now()
    from public.contact_import_rows s
   where s.tenant_id = imp.tenant_id and s.import_id = p_import_id and s.status = 'created'
     and c.tenant_id = imp.tenant_id and c.id = s.contact_id and c.deleted_at is null;
  get diagnostics v_deleted = row_count;

  foreach f in array private.import_text_fields() || array['email', 'phone', 'siret'] loop
    set_list := set_list || format(', %1$I = case when s.previous ? %2$L then r.%1$I else c.%1$I end', f, f);
  end loop;
  execute format($sql$
    update public.contacts c set
      tags = case when s.previous ? 'tags' then r.tags else c.tags end,
      custom_fields = case when s.previous ? 'custom_fields' then r.custom_fields else c.custom_fields end %s
      from public.contact_import_rows s,
           lateral jsonb_populate_record(null::public.contacts, s.previous) r
     where s.tenant_id = $1 and s.import_id = $2 and s.status = 'updated' and s.previous is not null
       and c.tenant_id = $1 and c.id = s.contact_id and c.deleted_at is null
  $sql$, set_list) using imp.tenant_id, p_import_id;
  get diagnostics v_restored = row_count;

  update public.contact_imports set status = 'undone', undone_at = now(), undone_by = (select auth.uid()) where id = p_import_id;
  perform private.emit_event(imp.tenant_id, 'prospect.import_undone', 'contact_import', imp.id,
    jsonb_build_object('deleted', v_deleted, 'restored', v_restored));
  return jsonb_build_object('deleted', v_deleted, 'restored', v_restored);
end;
$$;

-- Contacts created by the import that look like a contact that already existed
-- (trigram similarity of name + company + city), for review and merge.
create or replace function public.import_possible_duplicates(p_import_id uuid, p_limit integer default 50)
returns table (row_number integer, contact_id uuid, candidate_id uuid, similarity real)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_tenant uuid;
begin
  select tenant_id into v_tenant from public.contact_imports where id = p_import_id;
  if not found then
    raise exception using errcode = 'P0002', message = 'import_not_found';
  end if;
  perform private.require_role(v_tenant, 'assistant');
  return query
    select s.row_number, c.id, m.id, m.sim
      from public.contact_import_rows s
      join public.contacts c on c.tenant_id = v_tenant and c.id = s.contact_id and c.deleted_at is null
      cross join lateral (
        select o.id, extensions.similarity(
                 private.search_text(o.first_name, o.last_name, o.company_name, o.city),
                 private.search_text(c.first_name, c.last_name, c.company_name, c.city)) as sim
          from public.contacts o
         where o.tenant_id = v_tenant and o.deleted_at is null and o.id <> c.id
           and not exists (select 1 from public.contact_import_rows s2
                            where s2.tenant_id = v_tenant and s2.import_id = p_import_id and s2.contact_id = o.id and s2.status = 'created')
           and private.search_text(c.first_name, c.last_name, c.company_name, c.city) operator(extensions.<%) o.search_text
         order by 2 desc
         limit 1
      ) m
     where s.tenant_id = v_tenant and s.import_id = p_import_id and s.status = 'created'
       and m.sim >= 0.55
     order by s.row_number
     limit least(greatest(coalesce(p_limit, 50), 1), 200);
end;
$$;

revoke all on function public.import_start(uuid, text, bigint, text, text, text, jsonb, public.import_policy, integer),
  public.import_apply_batch(uuid, integer, jsonb), public.import_finish(uuid), public.import_fail(uuid, text),
  public.import_undo(uuid), public.import_possible_duplicates(uuid, integer) from public, anon;
grant execute on function public.import_start(uuid, text, bigint, text, text, text, jsonb, public.import_policy, integer),
  public.import_apply_batch(uuid, integer, jsonb), public.import_finish(uuid), public.import_fail(uuid, text),
  public.import_undo(uuid), public.import_possible_duplicates(uuid, integer) to authenticated, service_role;
revoke all on function private.import_text_fields() from public;
