// happy-dom has no ElementInternals (form-associated custom elements); @vscode-elements' controls call
// attachInternals() in their constructors. This minimal stand-in keeps their own logic (value,
// checked, selectedIndex, events) testable here; real form association is exercised in chromium (e2e).
if (!("attachInternals" in HTMLElement.prototype)) {
  Object.defineProperty(HTMLElement.prototype, "attachInternals", {
    configurable: true,
    value(this: HTMLElement) {
      return {
        form: null,
        labels: [],
        states: new Set<string>(),
        validity: { valid: true },
        validationMessage: "",
        willValidate: false,
        setFormValue() {},
        setValidity() {},
        checkValidity: () => true,
        reportValidity: () => true,
      };
    },
  });
}
