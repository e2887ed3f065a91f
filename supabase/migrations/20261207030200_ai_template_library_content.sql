-- The template library's content: 56 French real-estate templates across
-- seven categories (owner prospecting for mandates, valuation offers,
-- commercial real estate for businesses, follow-ups, event invitations,
-- market updates, reactivation), for e-mail, SMS and WhatsApp. Product data:
-- shipped by migration so that production has it too. SMS bodies stay short
-- (one or two GSM-7 parts once the variables are filled; the sending layer
-- adds "STOP"), and only the variables of private.template_variables() are
-- used (checked by the library trigger).

insert into public.template_library (key, channel, category, target_segment, position, name, description, subject, body) values
-- ------------------------------------------------------------------ owner prospecting (mandates)
('owner_intro_email', 'email', 'owner_prospecting', 'owners', 10, 'Premier contact propriétaire',
 'Présentation de l’agence à un propriétaire du secteur, sans pression.',
 '{{city}} : votre bien nous intéresse',
 'Bonjour {{firstName}},

Je suis {{agentName}}, conseiller chez {{agencyName}}. Nous accompagnons chaque mois des propriétaires de {{city}} dans la vente de leur bien, et plusieurs acquéreurs que nous suivons recherchent actuellement dans votre secteur.

Si vous avez un projet de vente, même lointain, je serais heureux d’en discuter avec vous et de vous présenter notre méthode.

Seriez-vous disponible pour un court échange cette semaine ?

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('owner_buyers_waiting_email', 'email', 'owner_prospecting', 'owners', 20, 'Acquéreurs en attente dans votre quartier',
 'Pour les secteurs où la demande dépasse l’offre : des acheteurs qualifiés attendent.',
 'Des acquéreurs recherchent à {{city}}',
 'Bonjour {{firstName}},

Chez {{agencyName}}, nous suivons des acquéreurs au financement validé qui recherchent précisément dans votre quartier de {{city}}. Faute de biens disponibles, certains attendent depuis plusieurs semaines.

Si vous envisagez de vendre, nous pouvons organiser des visites ciblées, uniquement avec des acheteurs sérieux.

Voulez-vous que je vous rappelle pour en parler ?

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('owner_method_email', 'email', 'owner_prospecting', 'owners', 30, 'Notre méthode de vente',
 'Met en avant la méthode de l’agence (photos, diffusion, suivi) pour décrocher un mandat.',
 'Vendre à {{city}} : notre méthode en trois étapes',
 'Bonjour {{firstName}},

Vendre un bien, c’est d’abord fixer le bon prix, puis le présenter sous son meilleur jour, enfin sélectionner les bons acquéreurs. C’est la méthode que {{agencyName}} applique à chaque mandat à {{city}}.

Je vous propose de vous la présenter en vingt minutes, chez vous ou à l’agence, sans engagement.

Quel moment vous conviendrait ?

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('owner_exclusive_email', 'email', 'owner_prospecting', 'owners', 40, 'Proposition de mandat exclusif',
 'Pour un propriétaire déjà en réflexion : les avantages d’un mandat exclusif.',
 'Un seul interlocuteur pour vendre votre bien',
 'Bonjour {{firstName}},

Confier votre bien à une seule agence, c’est un interlocuteur unique, une diffusion maîtrisée et un prix défendu avec constance. C’est ce que {{agencyName}} propose aux propriétaires de {{city}} avec son mandat exclusif.

Je serais ravi de vous en détailler les engagements, à votre convenance.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('owner_heirs_email', 'email', 'owner_prospecting', 'heirs', 50, 'Accompagnement succession',
 'Ton délicat pour des héritiers qui doivent décider du devenir d’un bien.',
 'Votre bien à {{city}} : un accompagnement à votre rythme',
 'Bonjour {{firstName}},

Décider du devenir d’un bien reçu en héritage prend du temps, et les démarches peuvent sembler nombreuses. {{agencyName}} accompagne régulièrement des familles à {{city}} : estimation, coordination avec le notaire, vente ou mise en location.

Si cela peut vous être utile, je reste à votre disposition pour un premier échange, sans engagement.

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('owner_landlord_email', 'email', 'owner_prospecting', 'landlords', 60, 'Propriétaire bailleur : vendre ou louer ?',
 'Pour les bailleurs qui hésitent entre conserver et vendre.',
 'Louer ou vendre votre bien à {{city}} ?',
 'Bonjour {{firstName}},

Beaucoup de propriétaires bailleurs de {{city}} se demandent aujourd’hui s’il vaut mieux continuer à louer ou vendre. {{agencyName}} peut vous aider à comparer les deux options, chiffres à l’appui, pour votre bien.

Souhaitez-vous que nous en parlions lors d’un court rendez-vous ?

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('owner_intro_sms', 'sms', 'owner_prospecting', 'owners', 70, 'SMS premier contact propriétaire',
 'SMS court de prise de contact avec un propriétaire.', null,
 'Bonjour {{firstName}}, {{agentName}} de {{agencyName}}. Des acheteurs recherchent a {{city}}. Un projet de vente ? Je vous rappelle volontiers.'),
('owner_intro_whatsapp', 'whatsapp', 'owner_prospecting', 'owners', 80, 'WhatsApp premier contact propriétaire',
 'Message WhatsApp de présentation, ton cordial.', null,
 'Bonjour {{firstName}}, je suis {{agentName}} de l’agence {{agencyName}} à {{agencyCity}}. Nous avons des acquéreurs pour votre secteur de {{city}}. Si vous pensez à vendre, même plus tard, je peux vous conseiller. Puis-je vous appeler ?'),

-- ------------------------------------------------------------------ valuation offers
('valuation_offer_email', 'email', 'valuation', 'owners', 110, 'Estimation offerte',
 'Offre d’estimation gratuite et sans engagement.',
 'Estimation offerte de votre bien à {{city}}',
 'Bonjour {{firstName}},

Connaître la valeur réelle de son bien est utile, que l’on souhaite vendre ou simplement faire le point. {{agencyName}} vous propose une estimation gratuite et sans engagement, fondée sur les ventes récentes de {{city}}.

La visite dure environ quarante-cinq minutes et vous recevez ensuite un avis de valeur écrit.

Quand puis-je passer ?

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('valuation_written_email', 'email', 'valuation', 'owners', 120, 'Avis de valeur écrit',
 'Met l’accent sur le document remis après l’estimation.',
 'Votre avis de valeur détaillé, sans engagement',
 'Bonjour {{firstName}},

Après une visite de votre bien, {{agencyName}} vous remet un avis de valeur écrit : prix conseillé, fourchette de négociation et comparaison avec les biens vendus récemment à {{city}}.

Ce document vous appartient, que vous décidiez de vendre ou non. Souhaitez-vous fixer un rendez-vous ?

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('valuation_heirs_email', 'email', 'valuation', 'heirs', 130, 'Estimation pour une succession',
 'Estimation utile à la déclaration de succession ou au partage.',
 'Une estimation pour votre succession à {{city}}',
 'Bonjour {{firstName}},

Dans le cadre d’une succession, une estimation sérieuse du bien aide à la déclaration et facilite les décisions entre héritiers. {{agencyName}} réalise ces estimations à {{city}} et peut échanger directement avec votre notaire.

Je reste à votre disposition pour convenir d’une visite.

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('valuation_rental_email', 'email', 'valuation', 'landlords', 140, 'Estimation de loyer',
 'Pour un bailleur : estimer le bon loyer de marché.',
 'Quel loyer pour votre bien à {{city}} ?',
 'Bonjour {{firstName}},

Un loyer bien placé, c’est un logement loué vite et un locataire qui reste. {{agencyName}} vous propose une estimation de loyer gratuite pour votre bien à {{city}}, en tenant compte des règles locales.

Voulez-vous que nous en parlions ?

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('valuation_commercial_email', 'email', 'valuation', 'businesses', 150, 'Estimation de local commercial',
 'Estimation de murs ou de local professionnel pour une entreprise.',
 '{{companyName}} : estimation de vos locaux',
 'Bonjour {{firstName}},

Que vous envisagiez de céder vos murs, de déménager ou simplement de connaître la valeur de vos locaux, {{agencyName}} réalise des estimations de biens professionnels à {{city}}.

Je vous propose un rendez-vous sur place avec {{companyName}}, à votre convenance.

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('valuation_online_email', 'email', 'valuation', 'owners', 160, 'Estimation en ligne puis visite',
 'Propose une première fourchette puis une visite pour affiner.',
 'Une première fourchette de prix pour votre bien',
 'Bonjour {{firstName}},

Il est possible de vous donner une première fourchette de prix pour votre bien à {{city}} après un simple échange téléphonique. Une visite permet ensuite d’affiner et de vous remettre un avis précis.

Quand seriez-vous joignable ?

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('valuation_sms', 'sms', 'valuation', 'owners', 170, 'SMS estimation offerte',
 'SMS proposant une estimation gratuite.', null,
 'Bonjour {{firstName}}, {{agencyName}} vous offre l''estimation de votre bien a {{city}}, sans engagement. Repondez OUI et je vous rappelle.'),
('valuation_whatsapp', 'whatsapp', 'valuation', 'owners', 180, 'WhatsApp estimation offerte',
 'WhatsApp proposant une estimation, avec créneau.', null,
 'Bonjour {{firstName}}, ici {{agentName}} de {{agencyName}}. Je vous propose une estimation gratuite de votre bien à {{city}}, avec un avis de valeur écrit. Quel jour vous arrangerait ?'),

-- ------------------------------------------------------------------ commercial real estate (businesses)
('commercial_intro_email', 'email', 'commercial', 'businesses', 210, 'Immobilier d’entreprise : présentation',
 'Prise de contact avec un dirigeant pour ses besoins de locaux.',
 '{{companyName}} : vos locaux à {{city}}',
 'Bonjour {{firstName}},

{{agencyName}} accompagne les entreprises de {{city}} dans leurs projets immobiliers : recherche de bureaux ou de locaux d’activité, cession de murs, renégociation de bail.

En tant que {{jobTitle}} de {{companyName}}, vous avez peut-être un projet à moyen terme. Je serais heureux d’en discuter quinze minutes avec vous.

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('commercial_growth_email', 'email', 'commercial', 'businesses', 220, 'Entreprise en croissance : plus d’espace',
 'Pour une entreprise qui recrute et pourrait manquer de place.',
 'Des bureaux à la mesure de {{companyName}}',
 'Bonjour {{firstName}},

Quand une équipe grandit, les locaux deviennent vite un sujet. {{agencyName}} connaît l’offre de bureaux et de locaux à {{city}}, y compris des surfaces qui ne sont pas encore publiées.

Si {{companyName}} réfléchit à un déménagement ou à une extension, je peux vous envoyer une sélection adaptée.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('commercial_walls_email', 'email', 'commercial', 'businesses', 230, 'Cession des murs commerciaux',
 'Pour un propriétaire de murs occupés par son activité.',
 'Vos murs commerciaux à {{city}}',
 'Bonjour {{firstName}},

Des investisseurs que nous accompagnons recherchent des murs commerciaux occupés à {{city}}. Si {{companyName}} est propriétaire de ses locaux, une cession avec maintien dans les lieux peut libérer des fonds pour votre activité.

Souhaitez-vous en savoir plus ?

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('commercial_lease_email', 'email', 'commercial', 'businesses', 240, 'Renouvellement de bail commercial',
 'Aide à la renégociation d’un bail arrivant à échéance.',
 '{{companyName}} : votre bail commercial',
 'Bonjour {{firstName}},

L’échéance d’un bail commercial est l’occasion de renégocier le loyer ou de comparer avec d’autres locaux. {{agencyName}} peut vous aider à évaluer votre loyer actuel face au marché de {{city}}.

Je vous propose un échange rapide pour faire le point.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('commercial_shop_email', 'email', 'commercial', 'businesses', 250, 'Commerce de proximité : emplacement',
 'Pour un commerçant : emplacements et pas-de-porte disponibles.',
 'Un emplacement pour {{companyName}} à {{city}}',
 'Bonjour {{firstName}},

Le bon emplacement fait une grande partie du chiffre d’un commerce. {{agencyName}} suit les locaux commerciaux qui se libèrent à {{city}}, souvent avant leur publication.

Si {{companyName}} cherche un second point de vente ou un meilleur emplacement, dites-moi vos critères : je vous préviendrai en priorité.

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('commercial_investor_email', 'email', 'commercial', 'investors', 260, 'Investisseur : actifs tertiaires',
 'Pour un investisseur intéressé par des actifs loués.',
 'Actifs loués à {{city}} : opportunités du moment',
 'Bonjour {{firstName}},

{{agencyName}} sélectionne des actifs tertiaires et commerciaux loués à {{city}}, avec bail en cours et locataire en place.

Si vous recherchez ce type d’investissement, je peux vous présenter les dossiers en cours, en toute confidentialité.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('commercial_sms', 'sms', 'commercial', 'businesses', 270, 'SMS immobilier d''entreprise',
 'SMS court pour un dirigeant.', null,
 'Bonjour {{firstName}}, {{agencyName}} ici. Bureaux, locaux, murs a {{city}} : un projet pour {{companyName}} ? Je vous rappelle volontiers.'),
('commercial_whatsapp', 'whatsapp', 'commercial', 'businesses', 280, 'WhatsApp immobilier d’entreprise',
 'WhatsApp pour un dirigeant, en vouvoiement.', null,
 'Bonjour {{firstName}}, {{agentName}} de {{agencyName}}. Nous accompagnons les entreprises de {{city}} pour leurs bureaux et locaux. {{companyName}} a-t-elle un projet dans les prochains mois ? Je peux vous envoyer une sélection.'),

-- ------------------------------------------------------------------ follow-ups
('followup_no_reply_email', 'email', 'follow_up', 'owners', 310, 'Relance sans réponse',
 'Deuxième message après un premier contact resté sans réponse.',
 'Suite à mon précédent message',
 'Bonjour {{firstName}},

Je me permets de revenir vers vous après mon précédent message. Je comprends que vous soyez très sollicité.

Si votre bien à {{city}} n’est pas à vendre aujourd’hui, un simple mot de votre part me suffit. Dans le cas contraire, je reste disponible pour un échange rapide.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('followup_after_visit_email', 'email', 'follow_up', 'owners', 320, 'Après la visite d’estimation',
 'Remerciement et prochaines étapes après une estimation.',
 'Merci pour votre accueil',
 'Bonjour {{firstName}},

Merci pour votre accueil lors de la visite de votre bien. Comme convenu, {{agencyName}} vous fait parvenir l’avis de valeur sous quelques jours.

N’hésitez pas à me contacter au {{agentPhone}} pour toute question d’ici là.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('followup_after_call_email', 'email', 'follow_up', 'owners', 330, 'Après un appel',
 'Récapitulatif écrit d’un échange téléphonique.',
 'Suite à notre échange',
 'Bonjour {{firstName}},

Merci pour notre échange téléphonique. Comme promis, voici mes coordonnées pour la suite : {{agentName}}, {{agencyName}}, {{agentPhone}}.

Je vous recontacte à la date convenue, et reste joignable d’ici là.

Bien cordialement,
{{agentName}}'),
('followup_last_email', 'email', 'follow_up', 'owners', 340, 'Dernière relance',
 'Message de clôture poli : on laisse la porte ouverte.',
 'Je ne veux pas vous importuner',
 'Bonjour {{firstName}},

Sans nouvelles de votre part, je ne vous relancerai plus sur ce sujet. Si un projet immobilier se présente un jour à {{city}}, {{agencyName}} sera heureuse de vous accompagner.

Je vous souhaite une excellente continuation.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('followup_business_email', 'email', 'follow_up', 'businesses', 350, 'Relance dirigeant',
 'Relance courte et professionnelle pour une entreprise.',
 '{{companyName}} : je reviens vers vous',
 'Bonjour {{firstName}},

Je reviens vers vous au sujet des locaux de {{companyName}} à {{city}}. Un échange de quinze minutes suffirait pour savoir si {{agencyName}} peut vous être utile.

Quel créneau vous conviendrait ?

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('followup_documents_email', 'email', 'follow_up', 'sellers', 360, 'Documents pour la mise en vente',
 'Relance pour obtenir les documents nécessaires au mandat.',
 'Les documents pour votre mise en vente',
 'Bonjour {{firstName}},

Pour préparer la mise en vente de votre bien à {{city}}, il nous manque encore quelques documents (titre de propriété, diagnostics, derniers procès-verbaux d’assemblée générale le cas échéant).

Vous pouvez me les transmettre par retour de mail ou les déposer à l’agence. Je reste à votre disposition.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('followup_sms', 'sms', 'follow_up', 'owners', 370, 'SMS de relance',
 'Relance courte après un premier message.', null,
 'Bonjour {{firstName}}, {{agencyName}} revient vers vous pour votre bien a {{city}}. Un echange rapide vous conviendrait ?'),
('followup_whatsapp', 'whatsapp', 'follow_up', 'owners', 380, 'WhatsApp de relance',
 'Relance WhatsApp courtoise.', null,
 'Bonjour {{firstName}}, je reviens vers vous au sujet de votre bien à {{city}}. Avez-vous eu le temps d’y réfléchir ? Je reste disponible pour en parler. {{agentName}}, {{agencyName}}'),

-- ------------------------------------------------------------------ event invitations
('event_open_house_email', 'email', 'event', 'buyers', 410, 'Invitation portes ouvertes',
 'Invitation à une journée portes ouvertes.',
 'Portes ouvertes à {{city}} : vous êtes invité',
 'Bonjour {{firstName}},

{{agencyName}} organise prochainement une journée portes ouvertes à {{city}}. L’occasion de visiter plusieurs biens en une matinée et de poser toutes vos questions à nos conseillers.

Répondez simplement à ce message pour recevoir l’adresse et réserver votre créneau.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('event_seminar_email', 'email', 'event', 'investors', 420, 'Invitation réunion investisseurs',
 'Réunion d’information sur l’investissement locatif.',
 'Investir à {{city}} : réunion d’information',
 'Bonjour {{firstName}},

{{agencyName}} vous invite à une réunion d’information sur l’investissement locatif à {{city}} : quartiers, rendements, fiscalité, gestion.

Les places sont limitées : répondez à ce message pour recevoir l’invitation et le programme.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('event_agency_opening_email', 'email', 'event', 'owners', 430, 'Inauguration de l’agence',
 'Invitation à l’inauguration ou au pot de l’agence.',
 '{{agencyName}} vous invite',
 'Bonjour {{firstName}},

Toute l’équipe de {{agencyName}} serait heureuse de vous accueillir lors de notre moment convivial à l’agence de {{agencyCity}}. Une occasion de faire connaissance et de parler du marché local autour d’un verre.

Merci de nous confirmer votre venue par retour de message.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('event_workshop_sellers_email', 'email', 'event', 'sellers', 440, 'Atelier « bien vendre »',
 'Atelier pratique pour les futurs vendeurs.',
 'Atelier : bien préparer la vente de votre bien',
 'Bonjour {{firstName}},

Comment fixer le bon prix, préparer les visites, choisir son mandat ? {{agencyName}} anime un atelier gratuit sur la vente immobilière à {{agencyCity}}.

Répondez à ce message pour connaître la date et réserver votre place.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('event_business_breakfast_email', 'email', 'event', 'businesses', 450, 'Petit-déjeuner entreprises',
 'Petit-déjeuner sur l’immobilier d’entreprise local.',
 'Petit-déjeuner immobilier d’entreprise à {{city}}',
 'Bonjour {{firstName}},

{{agencyName}} réunit quelques dirigeants de {{city}} autour d’un petit-déjeuner consacré aux bureaux et locaux professionnels : offre disponible, loyers, bonnes pratiques de bail.

Nous serions ravis d’y accueillir {{companyName}}. Répondez à ce message pour recevoir l’invitation.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('event_visit_sms', 'sms', 'event', 'buyers', 460, 'SMS invitation visite',
 'Invitation courte à une visite ou portes ouvertes.', null,
 'Bonjour {{firstName}}, {{agencyName}} organise des portes ouvertes a {{city}}. Repondez OUI pour recevoir l''adresse et l''horaire.'),
('event_whatsapp', 'whatsapp', 'event', 'owners', 470, 'WhatsApp invitation évènement',
 'Invitation à un évènement de l’agence.', null,
 'Bonjour {{firstName}}, {{agencyName}} vous invite à un moment d’échange sur le marché immobilier de {{city}}, à l’agence de {{agencyCity}}. Souhaitez-vous recevoir l’invitation ?'),
('event_webinar_email', 'email', 'event', 'buyers', 480, 'Webinaire premier achat',
 'Webinaire pour primo-accédants.',
 'Webinaire : réussir son premier achat à {{city}}',
 'Bonjour {{firstName}},

Budget, financement, visites, offre : {{agencyName}} anime un webinaire d’une heure pour les futurs acquéreurs de {{city}}, avec un temps de questions.

Répondez à ce message pour recevoir le lien d’inscription.

Bien cordialement,
{{agentName}}
{{agencyName}}'),

-- ------------------------------------------------------------------ market updates
('market_update_email', 'email', 'market_update', 'owners', 510, 'Point sur le marché local',
 'Point régulier sur le marché de la ville du contact.',
 'Le marché immobilier à {{city}} ce trimestre',
 'Bonjour {{firstName}},

Voici le point de {{agencyName}} sur le marché de {{city}}.

{{marketFact}}

Si vous souhaitez savoir ce que cela signifie pour votre bien, je peux vous proposer une estimation actualisée.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('market_sold_nearby_email', 'email', 'market_update', 'owners', 520, 'Vendu près de chez vous',
 'Annonce d’une vente récente dans le secteur du contact.',
 'Une vente récente près de chez vous à {{city}}',
 'Bonjour {{firstName}},

{{agencyName}} vient de conclure une vente dans votre secteur de {{city}}. Les acquéreurs qui n’ont pas été retenus recherchent toujours un bien comparable.

Si vous envisagez de vendre, c’est peut-être le bon moment pour en parler.

Bien cordialement,
{{agentName}}
{{agencyName}} – {{agencyPhone}}'),
('market_rates_email', 'email', 'market_update', 'buyers', 530, 'Taux et pouvoir d’achat',
 'Message aux acquéreurs sur le financement, sans chiffre inventé.',
 'Votre projet d’achat à {{city}} : faisons le point',
 'Bonjour {{firstName}},

Les conditions de financement évoluent régulièrement et changent ce que l’on peut acheter à {{city}}. {{agencyName}} vous propose de refaire le point sur votre budget et sur les biens qui y correspondent.

{{marketFact}}

Quand seriez-vous disponible ?

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('market_investor_email', 'email', 'market_update', 'investors', 540, 'Note investisseur',
 'Point marché destiné aux investisseurs locatifs.',
 'Investir à {{city}} : le point de {{agencyName}}',
 'Bonjour {{firstName}},

Voici notre lecture du marché locatif de {{city}} pour les investisseurs.

{{marketFact}}

Je peux vous présenter les biens à rendement que nous suivons actuellement.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('market_commercial_email', 'email', 'market_update', 'businesses', 550, 'Marché des locaux professionnels',
 'Point sur les bureaux et locaux pour les entreprises.',
 'Bureaux et locaux à {{city}} : le point',
 'Bonjour {{firstName}},

Voici le point de {{agencyName}} sur les bureaux et locaux professionnels à {{city}}.

{{marketFact}}

Si {{companyName}} a un projet, je serais heureux d’en discuter.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('market_sms', 'sms', 'market_update', 'owners', 560, 'SMS actualité marché',
 'SMS court renvoyant vers un point marché.', null,
 'Bonjour {{firstName}}, {{agencyName}} fait le point sur le marche de {{city}}. Voulez-vous connaitre la valeur actuelle de votre bien ?'),
('market_whatsapp', 'whatsapp', 'market_update', 'owners', 570, 'WhatsApp actualité marché',
 'WhatsApp avec un fait marché fourni par l’agence.', null,
 'Bonjour {{firstName}}, le point de {{agencyName}} sur {{city}} : {{marketFact}} Souhaitez-vous une estimation actualisée de votre bien ?'),
('market_yearly_email', 'email', 'market_update', 'owners', 580, 'Bilan annuel du marché',
 'Bilan de l’année pour les propriétaires du secteur.',
 '{{city}} : le bilan immobilier de l’année',
 'Bonjour {{firstName}},

L’année se termine : voici ce que {{agencyName}} retient du marché immobilier de {{city}}.

{{marketFact}}

Je vous souhaite de belles fêtes et reste à votre disposition pour vos projets de l’année prochaine.

Bien cordialement,
{{agentName}}
{{agencyName}}'),

-- ------------------------------------------------------------------ reactivation
('reactivation_old_contact_email', 'email', 'reactivation', 'owners', 610, 'Reprendre contact',
 'Pour un contact ancien, sans échange depuis longtemps.',
 'Des nouvelles de {{agencyName}}',
 'Bonjour {{firstName}},

Nous avions échangé il y a quelque temps au sujet de votre projet immobilier à {{city}}. Votre situation a peut-être évolué depuis.

Si un projet se dessine, {{agencyName}} serait heureuse de vous accompagner. Un simple retour de votre part suffit.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('reactivation_former_client_email', 'email', 'reactivation', 'former_clients', 620, 'Ancien client',
 'Pour un client accompagné par le passé.',
 'Comment se passe la vie à {{city}} ?',
 'Bonjour {{firstName}},

Nous avions eu le plaisir de vous accompagner il y a quelque temps. J’espère que tout se passe bien pour vous à {{city}}.

Si vous avez un nouveau projet, ou si quelqu’un de votre entourage en a un, {{agencyName}} reste à votre écoute.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('reactivation_lost_mandate_email', 'email', 'reactivation', 'sellers', 630, 'Mandat expiré ailleurs',
 'Pour un vendeur dont le bien n’a pas trouvé preneur.',
 'Votre bien à {{city}} : un nouveau regard',
 'Bonjour {{firstName}},

Il arrive qu’un bien reste en vente plus longtemps que prévu. Un nouveau regard sur le prix, la présentation ou la diffusion suffit souvent à relancer l’intérêt.

{{agencyName}} vous propose un diagnostic gratuit de la mise en vente de votre bien à {{city}}.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('reactivation_buyer_email', 'email', 'reactivation', 'buyers', 640, 'Acquéreur inactif',
 'Pour un acquéreur qui ne s’est plus manifesté.',
 'Votre recherche à {{city}} est-elle toujours d’actualité ?',
 'Bonjour {{firstName}},

Vous recherchiez un bien à {{city}} il y a quelque temps. Votre projet est-il toujours d’actualité ?

Si c’est le cas, {{agencyName}} peut mettre à jour vos critères et vous prévenir en priorité des nouveaux biens.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('reactivation_business_email', 'email', 'reactivation', 'businesses', 650, 'Reprise de contact entreprise',
 'Pour une entreprise contactée il y a longtemps.',
 '{{companyName}} : vos projets immobiliers',
 'Bonjour {{firstName}},

Nous avions échangé au sujet des locaux de {{companyName}}. Les besoins d’une entreprise évoluent vite : en avez-vous de nouveaux à {{city}} ?

Je reste à votre disposition pour un point rapide.

Bien cordialement,
{{agentName}}
{{agencyName}}'),
('reactivation_sms', 'sms', 'reactivation', 'owners', 660, 'SMS reprise de contact',
 'SMS pour reprendre contact avec un ancien prospect.', null,
 'Bonjour {{firstName}}, {{agentName}} de {{agencyName}}. Votre projet immobilier a {{city}} a-t-il evolue ? Je reste disponible pour en parler.'),
('reactivation_whatsapp', 'whatsapp', 'reactivation', 'former_clients', 670, 'WhatsApp ancien client',
 'WhatsApp à un ancien client pour garder le lien.', null,
 'Bonjour {{firstName}}, c’est {{agentName}} de {{agencyName}}. J’espère que tout va bien à {{city}}. Si vous ou un proche avez un projet immobilier, je serai heureux de vous aider.'),
('reactivation_landlord_email', 'email', 'reactivation', 'landlords', 680, 'Bailleur : fin de bail',
 'Pour un bailleur dont le logement pourrait se libérer.',
 'Votre logement à {{city}} se libère-t-il bientôt ?',
 'Bonjour {{firstName}},

Lorsqu’un locataire part, c’est souvent le moment de se poser la question : relouer ou vendre ? {{agencyName}} vous aide à comparer les deux options pour votre bien à {{city}}.

Souhaitez-vous en parler ?

Bien cordialement,
{{agentName}}
{{agencyName}}');
