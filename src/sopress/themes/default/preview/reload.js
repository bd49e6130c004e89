/* Live reload for `sopress serve`. The server sends its generation (which state of the sources it
   shows) over Server-Sent Events when the page connects and after every rebuild; a page made from
   another generation reloads, and comes back at the same scroll position. */
(function () {
  var key = "sopress-scroll:" + location.pathname + location.search;
  var saved = sessionStorage.getItem(key);
  if ("scrollRestoration" in history) { history.scrollRestoration = "manual"; }
  function restore() { if (saved !== null) { window.scrollTo(0, Number(saved)); } }
  restore();
  window.addEventListener("load", function () { restore(); sessionStorage.removeItem(key); });
  var events = new EventSource("/_events");
  events.onmessage = function (event) {
    if (event.data !== document.documentElement.dataset.generation) {
      events.close();
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
    }
  };
})();
