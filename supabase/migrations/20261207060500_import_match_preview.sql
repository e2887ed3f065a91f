-- Before an import runs, the wizard shows exactly what each policy would change:
-- for rows of the file (≤ 2,000) that match a live contact of the tenant on the
-- normalised e-mail, phone or SIRET, the contact's current values. The browser
-- applies the policy rules of import_apply_batch to show before → after. Reads only.
create or replace function public.import_match_preview(p_tenant_id uuid, p_rows jsonb)
returns table (n integer, contact_id uuid, matched_on text, current jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform private.require_role(p_tenant_id, 'assistant');
  if jsonb_typeof(p_rows) is distinct from 'array' or jsonb_array_length(p_rows) > 2000 then
    raise exception using errcode = '22023', message = 'invalid_batch', detail = jsonb_build_object('max_rows', 2000)::text;
  end if;
  return query
    with r as (
      select x.n, private.normalize_email(nullif(btrim(x.email), '')) as email,
             nullif(regexp_replace(x.phone, '[\s.()-]', '', 'g'), '') as phone,
             nullif(regexp_replace(x.siret, '\s', '', 'g'), '') as siret
        from jsonb_to_recordset(p_rows) as x(n integer, email text, phone text, siret text)
    )
    select r.n, m.id, m.matched_on,
           jsonb_build_object('first_name', c.first_name, 'last_name', c.last_name, 'email', c.email, 'phone', c.phone,
             'company_name', c.company_name, 'job_title', c.job_title, 'siren', c.siren, 'siret', c.siret, 'naf_code', c.naf_code,
             'address_line', c.address_line, 'postal_code', c.postal_code, 'city', c.city, 'lifecycle_stage', c.lifecycle_stage,
             'tags', c.tags, 'do_not_contact', c.do_not_contact, 'email_consent', c.email_consent, 'sms_consent', c.sms_consent)
      from r
      cross join lateral (
        select c1.id, 'email'::text as matched_on, 1 as rank from public.contacts c1
         where r.email is not null and c1.tenant_id = p_tenant_id and c1.deleted_at is null and c1.email = r.email
        union all
        select c2.id, 'phone', 2 from public.contacts c2
         where r.phone is not null and c2.tenant_id = p_tenant_id and c2.deleted_at is null and c2.phone = r.phone
        union all
        select c3.id, 'siret', 3 from public.contacts c3
         where r.siret is not null and c3.tenant_id = p_tenant_id and c3.deleted_at is null and c3.siret = r.siret
        order by 3 limit 1
      ) m
      join public.contacts c on c.tenant_id = p_tenant_id and c.id = m.id
     order by r.n;
end;
$$;
revoke all on function public.import_match_preview(uuid, jsonb) from public, anon;
grant execute on function public.import_match_preview(uuid, jsonb) to authenticated, service_role;
