-- What the inbox (/boite-de-reception) reads, as security-invoker RPCs (RLS
-- decides): the thread list with the contact's name and filters, and the
-- context shown beside a thread (the contact, its score, deals and stages,
-- its sequences). Writes go through the engine's RPCs
-- (send_conversation_reply, mark_conversation_read) and the columns members
-- may update on conversations (status, snoozed_until, assigned_user_id).

-- Threads of a tenant, newest activity first, keyset on (last_message_at, id).
-- p_status null = every status; p_assigned_to_me = the caller's threads only.
create or replace function public.inbox_threads(
  p_tenant_id uuid, p_status public.conversation_status default 'open', p_channel public.send_channel default null,
  p_assigned_to_me boolean default false, p_search text default null, p_limit integer default 30,
  p_before_at timestamptz default null, p_before_id uuid default null)
returns table (
  id uuid, contact_id uuid, channel public.send_channel, status public.conversation_status, assigned_user_id uuid,
  subject text, last_message_at timestamptz, last_message_preview text, last_direction public.message_direction,
  unread_count integer, display_name text, email text, phone text, company_name text)
language sql
stable
security invoker
set search_path = ''
as $$
  select cv.id, cv.contact_id, cv.channel, cv.status, cv.assigned_user_id, cv.subject, cv.last_message_at, cv.last_message_preview,
         cv.last_direction, cv.unread_count,
         coalesce(nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), ''), c.company_name, c.email, c.phone),
         c.email, c.phone, c.company_name
    from public.conversations cv
    join public.contacts c on c.tenant_id = cv.tenant_id and c.id = cv.contact_id
   where cv.tenant_id = p_tenant_id
     and (p_status is null or cv.status = p_status)
     and (p_channel is null or cv.channel = p_channel)
     and (not coalesce(p_assigned_to_me, false) or cv.assigned_user_id = (select auth.uid()))
     and (nullif(btrim(p_search), '') is null or c.search_text like '%' || private.search_text(btrim(p_search)) || '%'
          or cv.last_message_preview ilike '%' || btrim(p_search) || '%')
     and (p_before_id is null or (coalesce(cv.last_message_at, cv.created_at), cv.id) < (p_before_at, p_before_id))
   order by coalesce(cv.last_message_at, cv.created_at) desc, cv.id desc
   limit least(greatest(coalesce(p_limit, 30), 1), 100)
$$;

-- Counts per status for the filter tabs (and unread threads).
create or replace function public.inbox_counts(p_tenant_id uuid)
returns table (status public.conversation_status, threads bigint, unread bigint, mine bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select cv.status, count(*), count(*) filter (where cv.unread_count > 0),
         count(*) filter (where cv.assigned_user_id = (select auth.uid()))
    from public.conversations cv
   where cv.tenant_id = p_tenant_id
   group by cv.status
$$;

-- The contact beside a thread: identity, stage, score (when computed), open and
-- closed deals with their stage, and the sequences it is (or was) enrolled in.
create or replace function public.inbox_contact_context(p_conversation_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select jsonb_build_object(
    'contact', jsonb_build_object(
      'id', c.id, 'display_name', coalesce(nullif(btrim(concat_ws(' ', c.first_name, c.last_name)), ''), c.company_name, c.email, c.phone),
      'email', c.email, 'phone', c.phone, 'company_name', c.company_name, 'job_title', c.job_title, 'city', c.city,
      'lifecycle_stage', c.lifecycle_stage, 'owner_id', c.owner_id, 'do_not_contact', c.do_not_contact,
      'email_consent', c.email_consent, 'sms_consent', c.sms_consent),
    'score', (select jsonb_build_object('score', s.score, 'label', s.label, 'next_action', s.next_action)
                from public.contact_scores s where s.tenant_id = c.tenant_id and s.contact_id = c.id),
    'deals', coalesce((select jsonb_agg(jsonb_build_object('id', d.id, 'title', d.title, 'value', d.value, 'stage', ps.name, 'kind', ps.kind)
                                        order by d.created_at desc)
                         from public.deals d join public.pipeline_stages ps on ps.tenant_id = d.tenant_id and ps.id = d.stage_id
                        where d.tenant_id = c.tenant_id and d.contact_id = c.id), '[]'),
    'sequences', coalesce((select jsonb_agg(jsonb_build_object('sequence_id', e.sequence_id, 'name', sq.name, 'status', e.status,
                                                               'position', e.current_position, 'exit_reason', e.exit_reason) order by e.enrolled_at desc)
                             from public.sequence_enrolments e join public.sequences sq on sq.tenant_id = e.tenant_id and sq.id = e.sequence_id
                            where e.tenant_id = c.tenant_id and e.contact_id = c.id), '[]'))
    from public.conversations cv
    join public.contacts c on c.tenant_id = cv.tenant_id and c.id = cv.contact_id
   where cv.id = p_conversation_id
$$;

revoke all on function
  public.inbox_threads(uuid, public.conversation_status, public.send_channel, boolean, text, integer, timestamptz, uuid),
  public.inbox_counts(uuid), public.inbox_contact_context(uuid)
from public, anon;
grant execute on function
  public.inbox_threads(uuid, public.conversation_status, public.send_channel, boolean, text, integer, timestamptz, uuid),
  public.inbox_counts(uuid), public.inbox_contact_context(uuid)
to authenticated, service_role;
