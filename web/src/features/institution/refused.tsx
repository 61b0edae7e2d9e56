// What an institution's screen says to someone it is not open to (another institution's admin): the
// service answers 403/404, and the person reads which part of which institution they cannot see.
export function NotYourInstitution({ what }: { what: string }) {
  return (
    <div className="error-note" role="alert">
      <p className="error-title">This institution's {what} are not open to you.</p>
      <p>An institution administrator sees only their own institution.</p>
    </div>
  );
}
