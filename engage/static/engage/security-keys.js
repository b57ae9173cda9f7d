// Name a security key once django-otp-webauthn's script has registered it: the page's
// naming form is posted with the new key's hash. Pressing Enter in the name field starts
// the registration rather than posting a form without a key.
(function () {
  "use strict";
  var form = document.getElementById("key-name-form");
  if (!form) {
    return;
  }
  document.addEventListener("otp_webauthn.register_complete", function (event) {
    form.elements.key.value = event.detail.response.key;
    form.submit();
  });
  form.addEventListener("submit", function (event) {
    if (!form.elements.key.value) {
      event.preventDefault();
      var button = document.getElementById("passkey-register-button");
      if (button && !button.disabled) {
        button.click();
      }
    }
  });
})();
