/**
 * Auth e-mails (confirmation, magic link / OTP, recovery, invite, e-mail change),
 * sent by SMTP to the local mail catcher. French by default; English when the
 * user's metadata asks for it (`locale`/`language` starting with "en").
 */
import nodemailer, { type Transporter } from 'nodemailer'

export type MailKind = 'signup' | 'magiclink' | 'recovery' | 'invite' | 'email_change_current' | 'email_change_new'

export interface MailInput {
  kind: MailKind
  to: string
  /** The /verify link carrying the token hash. */
  link: string
  /** The 6-digit code the user may type instead of following the link. */
  otp: string
  locale: 'fr' | 'en'
  /** For e-mail changes: the address being changed to. */
  newEmail?: string
}

interface Copy {
  subject: string
  intro: string
  button: string
  codeLine: string
  outro: string
}

const COPY: Record<'fr' | 'en', Record<MailKind, (m: MailInput) => Copy>> = {
  fr: {
    signup: () => ({
      subject: 'Confirmez votre adresse e-mail',
      intro: 'Bienvenue sur immo-ai ! Confirmez votre adresse e-mail pour activer votre compte.',
      button: 'Confirmer mon adresse',
      codeLine: 'Ou saisissez ce code :',
      outro: "Si vous n'êtes pas à l'origine de cette inscription, ignorez ce message.",
    }),
    magiclink: () => ({
      subject: 'Votre lien de connexion',
      intro: 'Cliquez sur le bouton ci-dessous pour vous connecter à immo-ai.',
      button: 'Me connecter',
      codeLine: 'Ou saisissez ce code de connexion :',
      outro: "Ce lien n'est valable qu'une fois. Si vous n'avez rien demandé, ignorez ce message.",
    }),
    recovery: () => ({
      subject: 'Réinitialisez votre mot de passe',
      intro: 'Vous avez demandé à réinitialiser votre mot de passe immo-ai.',
      button: 'Choisir un nouveau mot de passe',
      codeLine: 'Ou saisissez ce code :',
      outro: "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste inchangé.",
    }),
    invite: () => ({
      subject: 'Vous êtes invité(e) sur immo-ai',
      intro: 'Vous avez été invité(e) à rejoindre immo-ai. Acceptez l’invitation pour créer votre compte.',
      button: "Accepter l'invitation",
      codeLine: 'Ou saisissez ce code :',
      outro: "Si vous ne vous attendiez pas à cette invitation, ignorez ce message.",
    }),
    email_change_current: (m) => ({
      subject: "Confirmez le changement d'adresse e-mail",
      intro: `Confirmez le remplacement de votre adresse e-mail par ${m.newEmail}.`,
      button: 'Confirmer le changement',
      codeLine: 'Ou saisissez ce code :',
      outro: "Si vous n'avez rien demandé, ignorez ce message et changez votre mot de passe.",
    }),
    email_change_new: (m) => ({
      subject: 'Confirmez votre nouvelle adresse e-mail',
      intro: `Confirmez que ${m.newEmail ?? m.to} est bien votre nouvelle adresse e-mail.`,
      button: 'Confirmer ma nouvelle adresse',
      codeLine: 'Ou saisissez ce code :',
      outro: "Si vous n'avez rien demandé, ignorez ce message.",
    }),
  },
  en: {
    signup: () => ({
      subject: 'Confirm your e-mail address',
      intro: 'Welcome to immo-ai! Confirm your e-mail address to activate your account.',
      button: 'Confirm my address',
      codeLine: 'Or enter this code:',
      outro: 'If you did not sign up, ignore this message.',
    }),
    magiclink: () => ({
      subject: 'Your sign-in link',
      intro: 'Click the button below to sign in to immo-ai.',
      button: 'Sign in',
      codeLine: 'Or enter this sign-in code:',
      outro: 'This link works once. If you did not ask for it, ignore this message.',
    }),
    recovery: () => ({
      subject: 'Reset your password',
      intro: 'You asked to reset your immo-ai password.',
      button: 'Choose a new password',
      codeLine: 'Or enter this code:',
      outro: 'If you did not ask for it, ignore this message: your password is unchanged.',
    }),
    invite: () => ({
      subject: 'You have been invited to immo-ai',
      intro: 'You have been invited to join immo-ai. Accept the invitation to create your account.',
      button: 'Accept the invitation',
      codeLine: 'Or enter this code:',
      outro: 'If you did not expect this invitation, ignore this message.',
    }),
    email_change_current: (m) => ({
      subject: 'Confirm your e-mail change',
      intro: `Confirm replacing your e-mail address with ${m.newEmail}.`,
      button: 'Confirm the change',
      codeLine: 'Or enter this code:',
      outro: 'If you did not ask for it, ignore this message and change your password.',
    }),
    email_change_new: (m) => ({
      subject: 'Confirm your new e-mail address',
      intro: `Confirm that ${m.newEmail ?? m.to} is your new e-mail address.`,
      button: 'Confirm my new address',
      codeLine: 'Or enter this code:',
      outro: 'If you did not ask for it, ignore this message.',
    }),
  },
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

export function renderMail(m: MailInput): { subject: string; text: string; html: string } {
  const c = COPY[m.locale][m.kind](m)
  const text = `${c.intro}\n\n${c.button} : ${m.link}\n\n${c.codeLine} ${m.otp}\n\n${c.outro}\n\n— immo-ai\n`
  const html = `<!doctype html>
<html lang="${m.locale}"><head><meta charset="utf-8"><title>${escapeHtml(c.subject)}</title></head>
<body style="margin:0;padding:24px;background:#f5f6f8;font-family:Helvetica,Arial,sans-serif;color:#1f2937">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center">
<table role="presentation" width="560" cellpadding="0" cellspacing="0" style="background:#ffffff;border-radius:8px;padding:32px">
<tr><td style="font-size:20px;font-weight:bold;padding-bottom:16px">immo-ai</td></tr>
<tr><td style="font-size:16px;line-height:1.5;padding-bottom:24px">${escapeHtml(c.intro)}</td></tr>
<tr><td style="padding-bottom:24px"><a href="${escapeHtml(m.link)}" style="display:inline-block;background:#1d4ed8;color:#ffffff;text-decoration:none;padding:12px 20px;border-radius:6px;font-weight:bold">${escapeHtml(c.button)}</a></td></tr>
<tr><td style="font-size:14px;padding-bottom:8px">${escapeHtml(c.codeLine)}</td></tr>
<tr><td style="font-size:24px;letter-spacing:4px;font-weight:bold;padding-bottom:24px">${escapeHtml(m.otp)}</td></tr>
<tr><td style="font-size:13px;color:#6b7280">${escapeHtml(c.outro)}</td></tr>
</table></td></tr></table></body></html>`
  return { subject: c.subject, text, html }
}

export function localeOf(meta: Record<string, unknown> | null | undefined): 'fr' | 'en' {
  const v = meta?.locale ?? meta?.language
  return typeof v === 'string' && v.toLowerCase().startsWith('en') ? 'en' : 'fr'
}

export interface Mailer {
  send(m: MailInput): Promise<void>
  close(): void
}

export function createMailer(smtpPort: number, from = '"immo-ai" <noreply@immo-ai.localhost>'): Mailer {
  let transport: Transporter | undefined
  return {
    async send(m) {
      transport ??= nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true })
      const { subject, text, html } = renderMail(m)
      await transport.sendMail({ from, to: m.to, subject, text, html, headers: { 'X-Supabase-Auth-Kind': m.kind } })
    },
    close() {
      transport?.close()
    },
  }
}
