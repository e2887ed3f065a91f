-- The ledger follows its tenant: message_sends had composite keys to the
-- enrolment, step, sequence and contact (all `set null`) but none to the
-- tenant, so deleting a tenant left its open sends behind, which the worker
-- kept claiming. Rows already orphaned are removed, then the key cascades
-- (message_events and conversation messages follow their send).

delete from public.message_sends ms where not exists (select 1 from public.tenants t where t.id = ms.tenant_id);
alter table public.message_sends
  add constraint message_sends_tenant_fk foreign key (tenant_id) references public.tenants (id) on delete cascade;
