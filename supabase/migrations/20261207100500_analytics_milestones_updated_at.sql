-- analytics_contact_milestones.updated_at follows the project's rule: the
-- generic set_updated_at trigger keeps it, whoever writes the row.
create trigger analytics_contact_milestones_updated_at before update on public.analytics_contact_milestones
  for each row execute function private.set_updated_at();
