-- The rollups' two small rules as inlinable SQL functions, like
-- private.analytics_is_person (20261208120200): without a `set search_path`
-- clause Postgres folds them into the calling query instead of calling them
-- once per send or event (the rebuild, the ledger triggers). Their bodies name
-- only enum values and pg_catalog operators; neither is security definer.
create or replace function private.analytics_metric(p_type public.message_event_type)
returns text
language sql
immutable
parallel safe
as $$
  select case p_type
    when 'delivered' then 'delivered'
    when 'opened' then 'opened'
    when 'clicked' then 'clicked'
    when 'replied' then 'replied'
    when 'unsubscribed' then 'unsubscribed'
    when 'bounced' then 'bounced'
    when 'soft_bounced' then 'bounced'
  end
$$;

create or replace function private.analytics_is_sent(p_status public.send_status)
returns boolean
language sql
immutable
parallel safe
as $$ select p_status in ('sent', 'delivered') $$;
