-- Onboarding wizard state on the tenant: the answers of each step (agency
-- lookup details, AI questionnaire) and the furthest step reached, so the
-- wizard resumes where the user left it. Market answers use the existing
-- columns (specialisations, property_types, geographic_zones, team_size,
-- current_tools); naf_code and creation date come from the companies lookup.

alter table public.tenants
  add column naf_code text,
  add column legal_created_on date,
  add column onboarding jsonb not null default '{}',
  add column onboarding_step smallint not null default 0,
  add column onboarding_completed_at timestamptz,
  add constraint tenants_naf_code_format check (naf_code is null or naf_code ~ '^[0-9]{2}\.[0-9]{2}[A-Z]$'),
  add constraint tenants_onboarding_object check (jsonb_typeof(onboarding) = 'object'),
  add constraint tenants_onboarding_step_range check (onboarding_step between 0 and 6);

comment on column public.tenants.onboarding is
  'Wizard answers by step: {"questionnaire": {offer, differentiators, objections[{objection, answer}], tone, personas, objective}, "skipped": [step numbers]}.';
comment on column public.tenants.onboarding_step is 'Furthest wizard step saved (0 = not started, 6 = GO).';

-- Admins update these like the other settings columns (tenants_update policy).
grant update (naf_code, legal_created_on, onboarding, onboarding_step, onboarding_completed_at)
  on public.tenants to authenticated;
