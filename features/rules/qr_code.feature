# Step 12: "The QR code is valid for 3 minutes." Release gates for the QR
# code's validity (@rule-qr-validity).
@rules
Feature: The QR code is valid for 3 minutes
  You'll now see a QR code that you need to scan with your new phone or
  tablet. The QR code is valid for 3 minutes.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  # The edge inside the 3 minutes: no build with a rule broken turns this
  # red, so it gates no rule; it keeps a too eager expiry out.
  @doc-12 @doc-19
  Scenario: A QR code scanned 2 minutes and 59 seconds after it appeared is accepted
    Given I have followed steps 1 to 18
    When 2 minutes and 59 seconds pass
    And I scan the QR code by holding my new phone up to the QR code on my old app
    Then I see 'Enter your user ID'

  # After 3 minutes my old phone no longer shows the code; a picture of it,
  # taken while it was shown, stands for a code that is scanned too late.
  # "Valid for 3 minutes" ends when the 3 minutes are up, to the second.
  @rule-qr-validity @doc-12 @doc-19
  Scenario: A picture of the QR code scanned 3 minutes after the code appeared is refused
    Given I have followed steps 1 to 12
    And I take a picture of the QR code on my old app
    And I have followed steps 13 to 18
    When 3 minutes pass
    And I scan the picture of the QR code with my new phone
    Then I am told 'The QR code has expired'
    And I do not see 'Enter your user ID'

  @rule-qr-validity @doc-12 @doc-19
  Scenario: When the QR code has expired, my old phone shows a new one, and my new phone accepts it
    Given I have followed steps 1 to 18
    When 3 minutes and 1 second pass
    And I take my old phone
    Then I see 'The QR code has expired'
    When I press "Show new QR code"
    Then I see a QR code that is valid for 3 minutes
    When I scan the QR code by holding my new phone up to the QR code on my old app
    Then I see 'Enter your user ID'

  # A QR code my old phone no longer shows is dead, with time left or not:
  # cancelled, or replaced by a new one. A picture of it opens nothing.
  # Cancelled, and no new code shown yet: the code is dead by the cancel
  # alone, well inside its 3 minutes.
  @rule-qr-replaced @doc-12 @doc-19
  Scenario: A picture of a QR code I cancelled on my old phone is refused
    Given I have followed steps 1 to 12
    And I take a picture of the QR code on my old app
    And I have followed steps 13 to 18
    When I take my old phone
    And I press "Cancel"
    And I scan the picture of the QR code with my new phone
    Then I am told 'This QR code is no longer valid'
    And I do not see 'Enter your user ID'

  @rule-qr-replaced @rule-qr-validity @doc-12 @doc-19
  Scenario: A picture of an expired QR code is refused after my old phone has shown a new one
    Given I have followed steps 1 to 12
    And I take a picture of the QR code on my old app
    When 3 minutes and 1 second pass
    And I take my old phone
    And I press "Show new QR code"
    Then I see a QR code that is valid for 3 minutes
    When I follow steps 13 to 18
    And I scan the picture of the QR code with my new phone
    Then I am told 'This QR code is no longer valid'
    And I do not see 'Enter your user ID'

  # An expired code is not a dead end: "Cancel" leaves it, and the copy
  # waits on my old phone to show a new code when I am ready.
  @rule-qr-validity @doc-12
  Scenario: When the QR code has expired, I can cancel it on my old phone and show a new one later
    Given I have followed steps 1 to 12
    When 3 minutes and 1 second pass
    Then I see 'The QR code has expired'
    When I press "Cancel"
    Then I see 'Show QR code and copy MitID to the new app'
    When I press "Show QR code"
    Then I see 'Enter your PIN code'

  # Once its QR code is scanned, the old phone says to continue on the new
  # one; its "Cancel" takes it back to my app, which offers the QR code
  # again. (The help page does not say what that does to the new phone's
  # activation: this checks the old phone.)
  @doc-19
  Scenario: Once my QR code is scanned, "Cancel" on my old phone takes it back to my app
    Given I have followed steps 1 to 19
    When I take my old phone
    Then I see 'Continue on your new phone/tablet'
    When I press "Cancel"
    Then I see 'Show QR code and copy MitID to the new app'
    And I do not see 'Continue on your new phone/tablet'
