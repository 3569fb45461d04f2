// Card numbers typed anywhere are masked: a run of 13-19 digits (single
// spaces or dashes allowed between them) that passes the Luhn check.

const RUN = /\d(?:[ -]?\d){12,}/g

export function luhnValid(digits) {
  let sum = 0
  for (let i = digits.length - 1, dbl = false; i >= 0; i--, dbl = !dbl) {
    let d = digits.charCodeAt(i) - 48
    if (dbl && (d *= 2) > 9) d -= 9
    sum += d
  }
  return sum % 10 === 0
}

function isCard(run) {
  const digits = run.replace(/\D/g, '')
  return digits.length <= 19 && luhnValid(digits)
}

export function hasCardNumber(text) {
  return !!text && (text.match(RUN) || []).some(isCard)
}

export function maskCardNumbers(text) {
  return text && text.replace(RUN, (run) => (isCard(run) ? '*'.repeat(run.length) : run))
}
