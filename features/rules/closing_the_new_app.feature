# Steps 19-22 on my new phone: the app closed in the middle of the copy and
# opened again. Release gate (@rule-copy-survives-restart).
#
# Assumption (the help page does not say): the copy is not lost. Reopened,
# the app resumes at the last step the backend confirmed: the user ID after
# the scan, the temporary PIN code after the user ID (the SMS already sent
# stays valid), choosing the personal PIN code after the temporary PIN code.
@rules
Feature: Closing the MitID app on my new phone does not lose the copy
  Scan the QR code, enter your user ID, enter the temporary PIN code that you
  receive via SMS and create your personal PIN code.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  @rule-copy-survives-restart @doc-19 @doc-20 @doc-21 @doc-22
  Scenario Outline: I close the MitID app on my new phone after step <done> and open it again
    Given I have followed steps 1 to <done>
    When I close the MitID app
    And I open the MitID app on my new phone
    Then I see '<screen>'
    And I follow steps <next> to 26

    Examples:
      | done | screen                        | next |
      | 19   | Enter your user ID            | 20   |
      | 20   | Enter temporary PIN code      | 21   |
      | 21   | Choose your personal PIN code | 22   |
      | 22   | Choose your personal PIN code | 22   |
