// router — hash routes (#/cameras, #/camera/<id>, ...). Pages register
// with route(); app.js renders the one matching the address.
export const routes = [];

export function route(pattern, load) {
  routes.push({ re: new RegExp(`^#/${pattern}$`), load });
}

let renderer = null;
export function setRenderer(fn) { renderer = fn; }

export function go(hash) {
  if (location.hash === hash) renderer && renderer();
  else location.hash = hash;
}
