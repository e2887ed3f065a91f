-- Realtime for the contact page (its activities; events and messages are
-- published by their own migrations, deals by 20261207090000_deal_board_fields) and for the import progress (contact_imports).
do $$
begin
  if not exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'activities') then
    alter publication supabase_realtime add table public.activities;
  end if;
  if not exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'contact_imports') then
    alter publication supabase_realtime add table public.contact_imports;
  end if;
end;
$$;
