// Lists every Content-Security-Policy violation on csp.html, so anyone can see the count stays 0.
const list = document.getElementById('violations');
const seen = [];
document.addEventListener('securitypolicyviolation', (e) => {
  seen.push(`${e.violatedDirective}: ${e.blockedURI || 'inline'}${e.sample ? ` (${e.sample})` : ''}`);
  list.textContent = `${seen.length}: ${seen.join('; ')}`;
  list.className = 'some';
});
