// The optional bearer token, kept in this browser's localStorage: sent as the Authorization header
// over HTTP and as the `authorization` field of connection_init over WebSocket.
const eventfoldToken = (() => {
  const KEY = "eventfold.token";

  function get() {
    return localStorage.getItem(KEY) || "";
  }

  function headers() {
    const token = get();
    return token ? { Authorization: `Bearer ${token}` } : {};
  }

  function connectionParams() {
    const token = get();
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  // A changed token applies to new connections: reload so the open socket is replaced too.
  function bind(input) {
    input.value = get();
    input.addEventListener("change", () => {
      if (input.value.trim()) localStorage.setItem(KEY, input.value.trim());
      else localStorage.removeItem(KEY);
      window.location.reload();
    });
  }

  return { headers, connectionParams, bind };
})();
