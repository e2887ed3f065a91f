-- The won dialog asks for the signed price (the ROI applies the agency's fee rate
-- to it), so the column's description must not say "fees".
comment on column public.deals.won_amount is
  'Signed amount recorded when the deal is won (the price, not the agency''s fees: the ROI applies the fee rate); reports use coalesce(won_amount, value) dated won_on.';
