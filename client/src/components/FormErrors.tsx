/** Messages for the whole form (errors that name no field), announced to screen readers. */
export function FormAlert({ messages, id }: { messages: string[]; id?: string }) {
  if (messages.length === 0) return null;
  return (
    <div className="alert error" role="alert" id={id} data-testid="form-error">
      {messages.length === 1 ? (
        messages[0]
      ) : (
        <ul>
          {messages.map((m) => (
            <li key={m}>{m}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Messages for one field, linked to its input with aria-describedby. */
export function FieldError({ id, messages }: { id: string; messages: string[] | undefined }) {
  if (!messages || messages.length === 0) return null;
  return (
    <p className="field-error" id={id} data-testid={`${id}`}>
      {messages.join(' ')}
    </p>
  );
}
