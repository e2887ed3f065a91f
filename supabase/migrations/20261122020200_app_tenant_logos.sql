-- Agency logos: a public bucket (logos appear in the app, the portal and
-- e-mails), one folder per tenant: tenant-logos/<tenant_id>/<file>. Admins of
-- the tenant write; reads of the public URL need no policy, listing does.

insert into storage.buckets (id, name, public, file_size_limit, allowed_mime_types)
values ('tenant-logos', 'tenant-logos', true, 1048576, array['image/png', 'image/jpeg', 'image/webp', 'image/svg+xml'])
on conflict (id) do update
  set public = excluded.public, file_size_limit = excluded.file_size_limit, allowed_mime_types = excluded.allowed_mime_types;

alter table storage.objects enable row level security;

create policy tenant_logos_select on storage.objects for select to authenticated
  using (bucket_id = 'tenant-logos'
         and (storage.foldername(name))[1] = any (array(select private.tenant_ids_with_role('assistant')::text)));
create policy tenant_logos_insert on storage.objects for insert to authenticated
  with check (bucket_id = 'tenant-logos'
              and (storage.foldername(name))[1] = any (array(select private.tenant_ids_with_role('admin')::text)));
create policy tenant_logos_update on storage.objects for update to authenticated
  using (bucket_id = 'tenant-logos'
         and (storage.foldername(name))[1] = any (array(select private.tenant_ids_with_role('admin')::text)))
  with check (bucket_id = 'tenant-logos'
              and (storage.foldername(name))[1] = any (array(select private.tenant_ids_with_role('admin')::text)));
create policy tenant_logos_delete on storage.objects for delete to authenticated
  using (bucket_id = 'tenant-logos'
         and (storage.foldername(name))[1] = any (array(select private.tenant_ids_with_role('admin')::text)));
