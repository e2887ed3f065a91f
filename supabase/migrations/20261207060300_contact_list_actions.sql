-- The prospects list: one filter grammar for the list, the bulk actions and the
-- export (private.contacts_matching), bulk actions (tag, untag, assign owner,
-- soft delete and its undo) and the export, role-gated (agent and above) and
-- written to the audit trail, one 'export' row per contact.
--
-- p_filters: {"q": text, "tags": [text], "owner_id": uuid | "none", "kind": "person"|"company",
--             "stage": lifecycle_stage, "city": text (prefix of city or postal code),
--             "has_email": bool, "has_phone": bool, "import_id": uuid}

create or replace function private.contacts_matching(p_tenant_id uuid, p_filters jsonb, p_ids uuid[] default null)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select c.id
    from public.contacts c
   where c.tenant_id = p_tenant_id and c.deleted_at is null
     and (p_ids is null or c.id = any (p_ids))
     and (nullif(btrim(p_filters ->> 'q'), '') is null
          or c.search_text like '%' || replace(replace(replace(private.search_text(btrim(p_filters ->> 'q')), '\', '\\'), '%', '\%'), '_', '\_') || '%')
     and (jsonb_typeof(p_filters -> 'tags') is distinct from 'array' or jsonb_array_length(p_filters -> 'tags') = 0
          or c.tags @> array(select jsonb_array_elements_text(p_filters -> 'tags')))
     and (p_filters ->> 'owner_id' is null
          or (p_filters ->> 'owner_id' = 'none' and c.owner_id is null)
          or c.owner_id::text = p_filters ->> 'owner_id')
     and (p_filters ->> 'kind' is null or c.kind::text = p_filters ->> 'kind')
     and (p_filters ->> 'stage' is null or c.lifecycle_stage::text = p_filters ->> 'stage')
     and (nullif(btrim(p_filters ->> 'city'), '') is null
          or c.postal_code like btrim(p_filters ->> 'city') || '%'
          or lower(extensions.unaccent('extensions.unaccent'::regdictionary, c.city))
             like lower(extensions.unaccent('extensions.unaccent'::regdictionary, btrim(p_filters ->> 'city'))) || '%')
     and (p_filters ->> 'has_email' is null or (c.email is not null) = (p_filters ->> 'has_email')::boolean)
     and (p_filters ->> 'has_phone' is null or (c.phone is not null) = (p_filters ->> 'has_phone')::boolean)
     and (p_filters ->> 'import_id' is null or exists (
          select 1 from public.contact_import_rows s
           where s.tenant_id = p_tenant_id and s.import_id = (p_filters ->> 'import_id')::uuid and s.contact_id = c.id
             and s.status in ('created', 'updated')))
$$;
revoke all on function private.contacts_matching(uuid, jsonb, uuid[]) from public, anon, authenticated;

-- Bulk actions on selected ids (≤ 10,000). Returns the number of contacts changed.
--   tag / untag: p_value = the tag; assign: p_value = a member's user id, or null to clear;
--   delete: soft delete (assistants may); restore: undo of a delete.
create or replace function public.contacts_bulk_action(p_tenant_id uuid, p_ids uuid[], p_action text, p_value text default null)
returns integer
language plpgsql
security definer
set search_path = ''
as $$
declare
  n integer;
  v_tag text := nullif(btrim(p_value), '');
begin
  perform private.require_role(p_tenant_id, 'assistant');
  if coalesce(cardinality(p_ids), 0) = 0 or cardinality(p_ids) > 10000 then
    raise exception using errcode = '22023', message = 'invalid_selection', detail = jsonb_build_object('max', 10000)::text;
  end if;
  case p_action
    when 'tag' then
      if v_tag is null or char_length(v_tag) > 50 then
        raise exception using errcode = '22023', message = 'invalid_tag', detail = jsonb_build_object('field', 'tag', 'max_length', 50)::text;
      end if;
      update public.contacts set tags = tags || v_tag
       where tenant_id = p_tenant_id and id = any (p_ids) and deleted_at is null and not (v_tag = any (tags));
    when 'untag' then
      update public.contacts set tags = array_remove(tags, v_tag)
       where tenant_id = p_tenant_id and id = any (p_ids) and deleted_at is null and v_tag = any (tags);
    when 'assign' then
      if v_tag is not null and not exists (
        select 1 from public.tenant_members m where m.tenant_id = p_tenant_id and m.user_id::text = v_tag) then
        raise exception using errcode = '22023', message = 'owner_not_member', detail = jsonb_build_object('field', 'owner_id')::text;
      end if;
      update public.contacts set owner_id = v_tag::uuid
       where tenant_id = p_tenant_id and id = any (p_ids) and deleted_at is null and owner_id is distinct from v_tag::uuid;
    when 'delete' then
      update public.contacts set deleted_at = now()
       where tenant_id = p_tenant_id and id = any (p_ids) and deleted_at is null;
    when 'restore' then
      -- A contact whose e-mail, phone or SIRET was taken meanwhile stays deleted
      -- (the unique keys decide); the others come back.
      update public.contacts c set deleted_at = null
       where c.tenant_id = p_tenant_id and c.id = any (p_ids) and c.deleted_at is not null
         and not exists (select 1 from public.contacts o where o.tenant_id = p_tenant_id and o.deleted_at is null and o.id <> c.id
                           and ((c.email is not null and o.email = c.email) or (c.phone is not null and o.phone = c.phone)
                                or (c.siret is not null and o.siret = c.siret)));
    else
      raise exception using errcode = '22023', message = 'invalid_action', detail = jsonb_build_object('field', 'action')::text;
  end case;
  get diagnostics n = row_count;
  return n;
end;
$$;

-- The export: agents and above only (assistants cannot take the data out),
-- at most 50,000 rows, one audit row per exported contact with the purpose.
create or replace function public.export_contacts(p_tenant_id uuid, p_filters jsonb default '{}', p_ids uuid[] default null, p_format text default 'csv')
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_ids uuid[];
  v_rows jsonb;
begin
  perform private.require_role(p_tenant_id, 'agent');
  if p_format not in ('csv', 'xlsx') then
    raise exception using errcode = '22023', message = 'invalid_format', detail = jsonb_build_object('field', 'format')::text;
  end if;
  select array_agg(id) into v_ids
    from (select id from private.contacts_matching(p_tenant_id, coalesce(p_filters, '{}'), p_ids) id limit 50001) x;
  if coalesce(cardinality(v_ids), 0) > 50000 then
    raise exception using errcode = '54000', message = 'export_too_large', detail = jsonb_build_object('max_rows', 50000)::text;
  end if;
  if v_ids is null then
    return '[]'::jsonb;
  end if;
  insert into public.audit_log (tenant_id, actor_id, actor_role, action, table_name, record_id, purpose)
  select p_tenant_id, (select auth.uid()), session_user || '/' || current_setting('role'), 'export', 'contacts', id,
         'export ' || p_format
    from unnest(v_ids) id;
  select coalesce(jsonb_agg(jsonb_build_object(
           'id', c.id, 'kind', c.kind, 'first_name', c.first_name, 'last_name', c.last_name, 'email', c.email,
           'phone', c.phone, 'company_name', c.company_name, 'job_title', c.job_title, 'siret', c.siret,
           'address_line', c.address_line, 'postal_code', c.postal_code, 'city', c.city, 'tags', c.tags,
           'lifecycle_stage', c.lifecycle_stage, 'email_consent', c.email_consent, 'sms_consent', c.sms_consent,
           'do_not_contact', c.do_not_contact, 'created_at', c.created_at) order by c.last_activity_at desc, c.id desc), '[]')
    into v_rows
    from public.contacts c where c.tenant_id = p_tenant_id and c.id = any (v_ids);
  return v_rows;
end;
$$;

-- Filtered ids for "select all matching" in the list (capped like the bulk actions).
create or replace function public.contacts_matching_ids(p_tenant_id uuid, p_filters jsonb default '{}')
returns uuid[]
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'assistant');
  return (select array_agg(id) from (select id from private.contacts_matching(p_tenant_id, coalesce(p_filters, '{}')) id limit 10000) x);
end;
$$;

revoke all on function public.contacts_bulk_action(uuid, uuid[], text, text), public.export_contacts(uuid, jsonb, uuid[], text),
  public.contacts_matching_ids(uuid, jsonb) from public, anon;
grant execute on function public.contacts_bulk_action(uuid, uuid[], text, text), public.export_contacts(uuid, jsonb, uuid[], text),
  public.contacts_matching_ids(uuid, jsonb) to authenticated, service_role;
