-- Per-template performance read from the message ledger: a send belongs to a
-- template when the sequence step variant it was sent from names the template
-- (`variants[].template_id`, set when a step is written from a template).
-- Sent = sent or delivered; opened/replied from message_events; converted =
-- a deal created for the contact after the send. security_invoker: the
-- caller's RLS on sends, steps, events and deals decides what is counted.
-- Library templates are reported through the tenant's copies (source_key).

create or replace view public.template_performance
with (security_invoker = on) as
with sends as (
  select ms.tenant_id, ms.id as send_id, ms.contact_id, ms.sent_at, (v ->> 'template_id')::uuid as template_id
    from public.message_sends ms
    join public.sequence_steps st on st.tenant_id = ms.tenant_id and st.id = ms.step_id
    cross join lateral jsonb_array_elements(case when jsonb_typeof(st.variants) = 'array' then st.variants else '[]' end) v
   where ms.status in ('sent', 'delivered')
     and ms.sent_at is not null
     and coalesce(v ->> 'key', '') = coalesce(ms.variant, v ->> 'key', '')
     and (v ->> 'template_id') ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
)
select s.tenant_id,
       s.template_id,
       mt.source_key,
       count(*)::bigint as sent,
       count(*) filter (where exists (select 1 from public.message_events e
                                       where e.tenant_id = s.tenant_id and e.send_id = s.send_id and e.type in ('opened', 'clicked')))::bigint as opened,
       count(*) filter (where exists (select 1 from public.message_events e
                                       where e.tenant_id = s.tenant_id and e.send_id = s.send_id and e.type = 'replied'))::bigint as replied,
       count(*) filter (where s.contact_id is not null and exists (select 1 from public.deals d
                                       where d.tenant_id = s.tenant_id and d.contact_id = s.contact_id and d.created_at >= s.sent_at))::bigint as converted
  from sends s
  join public.message_templates mt on mt.tenant_id = s.tenant_id and mt.id = s.template_id
 group by s.tenant_id, s.template_id, mt.source_key;

comment on view public.template_performance is 'Sends, opens, replies and conversions per tenant template, from the ledger (security_invoker).';
revoke all on public.template_performance from anon, public;
grant select on public.template_performance to authenticated, service_role;
